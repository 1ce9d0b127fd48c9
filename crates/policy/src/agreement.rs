//! Sharing agreements as TOML files (policy as code): what the holder may send to one partner.
//!
//! The format is documented, with every key, in `etc/agreement.toml.example`. Parsing is strict:
//! an unknown key, a wrong type or an impossible value is an error naming the file, the line and
//! the reason, so a typo can never silently widen what is shared.

use std::collections::BTreeSet;
use std::fmt;
use std::ops::Range;

use stix::{Timestamp, Tlp};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::model::OrgId;

/// A parsed sharing agreement with one partner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agreement {
    /// The agreement's name, recorded in the ledger with every disclosure.
    pub name: String,
    /// The partner organisation it binds.
    pub partner: OrgId,
    /// From when it applies (inclusive).
    pub valid_from: Option<Timestamp>,
    /// Until when it applies (exclusive).
    pub valid_until: Option<Timestamp>,
    /// Collections whose objects may be sent; `None` means every collection.
    pub collections: Option<BTreeSet<String>>,
    /// Object types that may be sent; `None` means every type.
    pub object_types: Option<BTreeSet<String>>,
    /// An object must carry at least one of these labels (when not empty).
    pub require_labels: BTreeSet<String>,
    /// An object carrying any of these labels is not sent.
    pub exclude_labels: BTreeSet<String>,
    /// The highest TLP level that may be sent. Never `Red`: RED does not leave the node.
    pub highest_tlp: Tlp,
    /// Personal data: which categories may pass and in what form.
    pub pii: PiiRules,
    /// Whether `created_by_ref` and submitter identities are replaced by per-partner pseudonyms.
    pub pseudonymise_submitters: bool,
}

impl Agreement {
    /// A minimal agreement: everything up to `highest_tlp`, personal data dropped, submitters
    /// pseudonymised.
    pub fn new(name: &str, partner: OrgId, highest_tlp: Tlp) -> Self {
        Agreement {
            name: name.to_owned(),
            partner,
            valid_from: None,
            valid_until: None,
            collections: None,
            object_types: None,
            require_labels: BTreeSet::new(),
            exclude_labels: BTreeSet::new(),
            highest_tlp: highest_tlp.min(Tlp::AmberStrict),
            pii: PiiRules::default(),
            pseudonymise_submitters: true,
        }
    }

    /// Whether the agreement is in force at `now`: from `valid_from` (included) to
    /// `valid_until` (excluded).
    pub fn in_force(&self, now: &Timestamp) -> bool {
        self.valid_from.as_ref().is_none_or(|from| now >= from)
            && self.valid_until.as_ref().is_none_or(|until| now < until)
    }

    /// The next moment after `now` at which [`Agreement::in_force`] changes, if any: what is
    /// shared under the agreement changes then even if nothing else does.
    pub fn next_change(&self, now: &Timestamp) -> Option<&Timestamp> {
        [self.valid_from.as_ref(), self.valid_until.as_ref()]
            .into_iter()
            .flatten()
            .filter(|at| *at > now)
            .min()
    }

    /// Parses an agreement; `file` only names the source in errors.
    pub fn from_toml(file: &str, text: &str) -> Result<Agreement, AgreementError> {
        Parser { file, text }.agreement()
    }
}

/// A category of personal data (SECURITY.md rule 7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PiiCategory {
    /// `email-addr` objects and e-mail addresses in text.
    EmailAddress,
    /// `user-account` objects.
    UserAccount,
    /// Identities with `identity_class` `individual`, and their contact information.
    Individual,
    /// Person names: `authors`, custom `x_…name…` properties, names in text.
    PersonName,
    /// Telephone numbers in text and contact information.
    PhoneNumber,
    /// Addresses of victims' internal hosts.
    VictimIp,
}

impl PiiCategory {
    /// Every category, in table order.
    pub const ALL: [PiiCategory; 6] = [
        PiiCategory::EmailAddress,
        PiiCategory::UserAccount,
        PiiCategory::Individual,
        PiiCategory::PersonName,
        PiiCategory::PhoneNumber,
        PiiCategory::VictimIp,
    ];

    /// The key used in agreement files, e.g. `victim-ip`.
    pub fn key(self) -> &'static str {
        match self {
            PiiCategory::EmailAddress => "email-addr",
            PiiCategory::UserAccount => "user-account",
            PiiCategory::Individual => "individual",
            PiiCategory::PersonName => "person-name",
            PiiCategory::PhoneNumber => "phone-number",
            PiiCategory::VictimIp => "victim-ip",
        }
    }

    fn index(self) -> usize {
        self as usize
    }

    /// Whether `truncate` means something for this category (IPs: /24 and /48; e-mail
    /// addresses: the domain only).
    pub fn can_truncate(self) -> bool {
        matches!(self, PiiCategory::VictimIp | PiiCategory::EmailAddress)
    }
}

impl fmt::Display for PiiCategory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// What happens to one category of personal data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum PiiForm {
    /// Removed; an object that *is* such data is withheld.
    #[default]
    Drop,
    /// Shortened: IPv4 to its /24, IPv6 to its /48, e-mail addresses to their domain.
    Truncate,
    /// Replaced by a keyed hash (HMAC-SHA256) under the recipient's key.
    Pseudonymise,
    /// Sent as is.
    Pass,
}

impl PiiForm {
    /// The word used in agreement files.
    pub fn key(self) -> &'static str {
        match self {
            PiiForm::Drop => "drop",
            PiiForm::Truncate => "truncate",
            PiiForm::Pseudonymise => "pseudonymise",
            PiiForm::Pass => "pass",
        }
    }

    fn parse(word: &str) -> Option<PiiForm> {
        match word {
            "drop" => Some(PiiForm::Drop),
            "truncate" => Some(PiiForm::Truncate),
            "pseudonymise" | "pseudonymize" => Some(PiiForm::Pseudonymise),
            "pass" => Some(PiiForm::Pass),
            _ => None,
        }
    }
}

/// The form of each personal-data category, inside one data-protection regime and across a
/// border. The default drops everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct PiiRules {
    within: [PiiForm; 6],
    cross_border: [PiiForm; 6],
}

impl PiiRules {
    /// Rules that pass everything (inside the holder organisation, for instance).
    pub fn pass_all() -> Self {
        PiiRules { within: [PiiForm::Pass; 6], cross_border: [PiiForm::Pass; 6] }
    }

    /// The form for `category`, across a data-protection border or not.
    pub fn form(&self, category: PiiCategory, crosses_border: bool) -> PiiForm {
        let table = if crosses_border { &self.cross_border } else { &self.within };
        table[category.index()]
    }

    /// Sets the form inside the regime; the cross-border form follows it except that `pass`
    /// becomes `pseudonymise` (personal data never crosses a border in clear by default).
    pub fn set(&mut self, category: PiiCategory, form: PiiForm) {
        self.within[category.index()] = form;
        self.cross_border[category.index()] =
            if form == PiiForm::Pass { PiiForm::Pseudonymise } else { form };
    }

    /// Sets the cross-border form explicitly.
    pub fn set_cross_border(&mut self, category: PiiCategory, form: PiiForm) {
        self.cross_border[category.index()] = form;
    }
}

/// An agreement file that could not be accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {reason}")]
pub struct AgreementError {
    /// The file as named by the caller.
    pub file: String,
    /// The 1-based line.
    pub line: usize,
    /// What is wrong.
    pub reason: String,
}

struct Parser<'a> {
    file: &'a str,
    text: &'a str,
}

type Entry<'i> = (&'i Spanned<std::borrow::Cow<'i, str>>, &'i Spanned<DeValue<'i>>);

impl Parser<'_> {
    fn error(&self, span: Range<usize>, reason: impl Into<String>) -> AgreementError {
        let upto = self.text.get(..span.start.min(self.text.len())).unwrap_or("");
        AgreementError {
            file: self.file.to_owned(),
            line: upto.matches('\n').count() + 1,
            reason: reason.into(),
        }
    }

    fn agreement(&self) -> Result<Agreement, AgreementError> {
        let root = DeTable::parse(self.text)
            .map_err(|e| self.error(e.span().unwrap_or(0..0), e.message().to_owned()))?;
        let mut name = None;
        let mut partner = None;
        let mut highest = None;
        let mut agreement = Agreement::new("", OrgId::new(""), Tlp::Clear);
        for (key, value) in root.get_ref().iter() {
            let span = key.span();
            match key.get_ref().as_ref() {
                "name" => name = Some(self.string(value)?),
                "partner" => partner = Some(OrgId::new(self.string(value)?)),
                "valid_from" => agreement.valid_from = Some(self.timestamp(value)?),
                "valid_until" => agreement.valid_until = Some(self.timestamp(value)?),
                "collections" => agreement.collections = Some(self.strings(value)?),
                "object_types" => {
                    let types = self.strings(value)?;
                    if let Some(bad) = types.iter().find(|t| !stix::is_type_name(t)) {
                        return Err(
                            self.error(value.span(), format!("`{bad}` is not a STIX type name"))
                        );
                    }
                    agreement.object_types = Some(types);
                }
                "require_labels" => agreement.require_labels = self.strings(value)?,
                "exclude_labels" => agreement.exclude_labels = self.strings(value)?,
                "highest_tlp" => highest = Some(self.tlp(value)?),
                "pseudonymise_submitters" => {
                    agreement.pseudonymise_submitters = self.boolean(value)?;
                }
                "pii" => self.pii(value, &mut agreement.pii)?,
                other => return Err(self.error(span, format!("unknown key `{other}`"))),
            }
        }
        let whole = root.span();
        agreement.name = name.ok_or_else(|| self.error(whole.clone(), "missing key `name`"))?;
        agreement.partner =
            partner.ok_or_else(|| self.error(whole.clone(), "missing key `partner`"))?;
        agreement.highest_tlp =
            highest.ok_or_else(|| self.error(whole.clone(), "missing key `highest_tlp`"))?;
        if let (Some(from), Some(until)) = (&agreement.valid_from, &agreement.valid_until)
            && from >= until
        {
            return Err(self.error(whole, "`valid_from` must be before `valid_until`"));
        }
        Ok(agreement)
    }

    fn pii(
        &self,
        value: &Spanned<DeValue<'_>>,
        rules: &mut PiiRules,
    ) -> Result<(), AgreementError> {
        let table = self.table(value)?;
        let mut cross = Vec::new();
        for (key, value) in table.iter() {
            if key.get_ref() == "cross-border" {
                for entry in self.table(value)?.iter() {
                    cross.push(self.pii_entry(entry)?);
                }
                continue;
            }
            let (category, form) = self.pii_entry((key, value))?;
            rules.set(category, form);
        }
        // Explicit cross-border forms win over the ones derived from the plain table.
        for (category, form) in cross {
            rules.set_cross_border(category, form);
        }
        Ok(())
    }

    fn pii_entry(&self, (key, value): Entry<'_>) -> Result<(PiiCategory, PiiForm), AgreementError> {
        let name = key.get_ref().as_ref();
        let Some(category) = PiiCategory::ALL.into_iter().find(|c| c.key() == name) else {
            let known: Vec<&str> = PiiCategory::ALL.iter().map(|c| c.key()).collect();
            return Err(self.error(
                key.span(),
                format!("unknown personal-data category `{name}` (known: {})", known.join(", ")),
            ));
        };
        let word = self.string(value)?;
        let form = PiiForm::parse(&word).ok_or_else(|| {
            self.error(
                value.span(),
                format!("`{word}` is not a form: use drop, truncate, pseudonymise or pass"),
            )
        })?;
        if form == PiiForm::Truncate && !category.can_truncate() {
            return Err(self.error(
                value.span(),
                format!("`{name}` cannot be truncated (only victim-ip and email-addr can)"),
            ));
        }
        Ok((category, form))
    }

    fn tlp(&self, value: &Spanned<DeValue<'_>>) -> Result<Tlp, AgreementError> {
        let word = self.string(value)?.to_ascii_lowercase();
        let word = word.strip_prefix("tlp:").unwrap_or(&word);
        match word {
            "red" => Err(self.error(
                value.span(),
                "TLP:RED never leaves the node; the highest level an agreement can allow is amber+strict",
            )),
            "white" => Ok(Tlp::Clear),
            _ => Tlp::ALL.into_iter().find(|t| t.extension_value() == word).ok_or_else(|| {
                self.error(value.span(), format!("`{word}` is not a TLP level: use clear, green, amber or amber+strict"))
            }),
        }
    }

    fn table<'v, 'i>(
        &self,
        value: &'v Spanned<DeValue<'i>>,
    ) -> Result<&'v DeTable<'i>, AgreementError> {
        value.get_ref().as_table().ok_or_else(|| self.wrong(value, "a table"))
    }

    fn string(&self, value: &Spanned<DeValue<'_>>) -> Result<String, AgreementError> {
        value.get_ref().as_str().map(str::to_owned).ok_or_else(|| self.wrong(value, "a string"))
    }

    fn boolean(&self, value: &Spanned<DeValue<'_>>) -> Result<bool, AgreementError> {
        value.get_ref().as_bool().ok_or_else(|| self.wrong(value, "true or false"))
    }

    fn strings(&self, value: &Spanned<DeValue<'_>>) -> Result<BTreeSet<String>, AgreementError> {
        let array =
            value.get_ref().as_array().ok_or_else(|| self.wrong(value, "an array of strings"))?;
        array.iter().map(|v| self.string(v)).collect()
    }

    fn timestamp(&self, value: &Spanned<DeValue<'_>>) -> Result<Timestamp, AgreementError> {
        let text = self.string(value)?;
        text.parse().map_err(|e| self.error(value.span(), format!("`{text}`: {e}")))
    }

    fn wrong(&self, value: &Spanned<DeValue<'_>>, expected: &str) -> AgreementError {
        self.error(
            value.span(),
            format!("expected {expected}, found {}", value.get_ref().type_str()),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(text: &str) -> String {
        match Agreement::from_toml("a.toml", text) {
            Ok(a) => format!("ok {} {} {}", a.name, a.partner, a.highest_tlp.label()),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn example_file_parses() {
        let text = include_str!("../../../etc/agreement.toml.example");
        let a =
            Agreement::from_toml("agreement.toml.example", text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(a.partner.as_str(), "eu-energy-op");
        assert_eq!(a.highest_tlp, Tlp::Amber);
        assert_eq!(a.pii.form(PiiCategory::VictimIp, false), PiiForm::Truncate);
        assert_eq!(a.pii.form(PiiCategory::VictimIp, true), PiiForm::Drop);
        assert_eq!(a.pii.form(PiiCategory::EmailAddress, true), PiiForm::Pseudonymise);
        assert!(a.pseudonymise_submitters);
    }

    #[test]
    fn errors_name_line_and_reason() {
        let base = "name = \"x\"\npartner = \"p\"\n";
        assert_eq!(check(&format!("{base}highest_tlp = \"amber\"")), "ok x p TLP:AMBER");
        assert_eq!(
            check(&format!("{base}highest_tlp = \"red\"")),
            "a.toml:3: TLP:RED never leaves the node; the highest level an agreement can allow is amber+strict"
        );
        assert_eq!(
            check(&format!("{base}higest_tlp = \"amber\"")),
            "a.toml:3: unknown key `higest_tlp`"
        );
        assert_eq!(check(base), "a.toml:1: missing key `highest_tlp`");
        assert_eq!(
            check(&format!("{base}highest_tlp = \"amber\"\n[pii]\nperson-name = \"truncate\"")),
            "a.toml:5: `person-name` cannot be truncated (only victim-ip and email-addr can)"
        );
        assert_eq!(
            check(&format!("{base}highest_tlp = \"amber\"\n[pii]\nshoe-size = \"drop\"")),
            "a.toml:5: unknown personal-data category `shoe-size` (known: email-addr, user-account, individual, person-name, phone-number, victim-ip)"
        );
        assert_eq!(
            check(&format!("{base}highest_tlp = \"amber\"\nobject_types = \"indicator\"")),
            "a.toml:4: expected an array of strings, found string"
        );
        assert!(check("name = ").starts_with("a.toml:1: "));
        assert_eq!(
            check(&format!(
                "{base}highest_tlp = \"amber\"\nvalid_from = \"2027-01-01T00:00:00Z\"\nvalid_until = \"2026-01-01T00:00:00Z\""
            )),
            "a.toml:1: `valid_from` must be before `valid_until`"
        );
    }
}
