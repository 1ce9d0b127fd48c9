//! Administration of a node's data directory: first-start bootstrap, organisations, users,
//! tokens, collections and grants, in the words the CLI uses.

use crate::{Error, Node};

/// The bootstrap administrator's user name.
pub const ADMIN_USER: &str = "admin";
/// The organisation that runs the node when `DATA/policy.toml` names no holder.
pub const NODE_ORG: &str = "node-operator";

/// What `bootstrap` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bootstrap {
    /// The node was already set up.
    AlreadyDone,
    /// The administrator was created with this new token, to be shown once.
    Created {
        /// The token.
        token: String,
    },
    /// The administrator was created with the token given in the environment.
    CreatedWithGivenToken,
}

/// On first start, creates the operator organisation and the `admin` user with a token: the one
/// given (`MERIDIAN_ADMIN_TOKEN`) or a new one, returned to be printed once.
///
/// # Errors
/// Store failures; a given token that is too short.
pub fn bootstrap(
    node: &Node,
    jurisdiction: &str,
    given_token: Option<&str>,
) -> Result<Bootstrap, Error> {
    let store = node.store();
    if store.user_by_name(ADMIN_USER)?.is_some() {
        if let Some(token) = given_token {
            node.install_token(ADMIN_USER, token, "MERIDIAN_ADMIN_TOKEN")?;
        }
        return Ok(Bootstrap::AlreadyDone);
    }
    // The node's own organisation: the policy's holder (`DATA/policy.toml`), `node-operator` by default.
    let holder = node.options().policy.holder.clone();
    let org = match store.org_by_name(&holder)? {
        Some(org) => org.id,
        None => store.add_org(&holder, jurisdiction, &[])?,
    };
    store.add_user(ADMIN_USER, org, true)?;
    match given_token {
        Some(token) => {
            node.install_token(ADMIN_USER, token, "MERIDIAN_ADMIN_TOKEN")?;
            Ok(Bootstrap::CreatedWithGivenToken)
        }
        None => {
            let (_, token) =
                node.create_token(ADMIN_USER, "bootstrap", store::TokenScope::ReadWrite)?;
            Ok(Bootstrap::Created { token })
        }
    }
}

/// Parses a grantee written `org:NAME` or `user:NAME`.
///
/// # Errors
/// `Invalid` for another form, `NotFound` for an unknown name.
pub fn grantee(node: &Node, spec: &str) -> Result<store::Grantee, Error> {
    let store = node.store();
    match spec.split_once(':') {
        Some(("org", name)) => {
            Ok(store::Grantee::Org(store.org_by_name(name)?.ok_or(Error::NotFound)?.id))
        }
        Some(("user", name)) => {
            Ok(store::Grantee::User(store.user_by_name(name)?.ok_or(Error::NotFound)?.id))
        }
        _ => Err(Error::Invalid(format!("`{spec}` is not a grantee: write org:NAME or user:NAME"))),
    }
}

/// Adds a collection with a new UUID and the given alias; returns the id.
///
/// # Errors
/// `Invalid` when the alias is taken or malformed.
pub fn add_collection(
    node: &Node,
    alias: &str,
    title: &str,
    description: Option<&str>,
) -> Result<String, Error> {
    if alias.is_empty()
        || !alias.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(Error::Invalid(format!(
            "`{alias}` is not an alias: use letters, digits, - and _"
        )));
    }
    let id = uuid::Uuid::new_v4().to_string();
    node.store().add_collection(&id, Some(alias), title, description)?;
    Ok(id)
}
