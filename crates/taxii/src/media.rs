//! TAXII media types (TAXII 2.1 §1.6.8) and content negotiation.

/// The TAXII 2.1 media type, as responses carry it.
pub const TAXII_21: &str = "application/taxii+json;version=2.1";
/// The STIX 2.1 media type, as manifests name the content.
pub const STIX_21: &str = "application/stix+json;version=2.1";

/// Whether an `Accept` header admits a TAXII 2.1 response.
///
/// TAXII 2.1 §1.6.8.1: `application/taxii+json` without a version means the latest (2.1);
/// `*/*` and `application/*` admit anything. Parameters other than `version` and `q` are ignored;
/// a `q=0` entry refuses the type.
pub fn accepts_taxii(accept: &str) -> bool {
    accept.split(',').any(|entry| {
        let mut parts = entry.split(';').map(str::trim);
        let range = parts.next().unwrap_or("").to_ascii_lowercase();
        let mut version_ok = true;
        let mut q_ok = true;
        for param in parts {
            let Some((k, v)) = param.split_once('=') else { continue };
            match k.trim().to_ascii_lowercase().as_str() {
                "version" => version_ok = v.trim().trim_matches('"') == "2.1",
                "q" => q_ok = v.trim().parse::<f32>().map_or(true, |q| q > 0.0),
                _ => {}
            }
        }
        q_ok && match range.as_str() {
            "application/taxii+json" => version_ok,
            "*/*" | "application/*" => true,
            _ => false,
        }
    })
}

/// Whether a `Content-Type` header names TAXII 2.1 content (for POST bodies). TAXII 2.1 §5.4:
/// `application/taxii+json;version=2.1`; the version may be omitted (meaning the latest).
pub fn is_taxii_content(content_type: &str) -> bool {
    let mut parts = content_type.split(';').map(str::trim);
    if !parts.next().unwrap_or("").eq_ignore_ascii_case("application/taxii+json") {
        return false;
    }
    parts.all(|p| match p.split_once('=') {
        Some((k, v)) if k.trim().eq_ignore_ascii_case("version") => {
            v.trim().trim_matches('"') == "2.1"
        }
        _ => true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation() {
        assert!(accepts_taxii("application/taxii+json;version=2.1"));
        assert!(accepts_taxii("application/taxii+json"));
        assert!(accepts_taxii("application/json, application/taxii+json; version=2.1"));
        assert!(accepts_taxii("*/*"));
        assert!(!accepts_taxii("application/taxii+json;version=2.0"));
        assert!(!accepts_taxii("application/json"));
        assert!(!accepts_taxii("application/taxii+json;version=2.1;q=0"));
        assert!(is_taxii_content("application/taxii+json;version=2.1"));
        assert!(is_taxii_content("application/taxii+json"));
        assert!(!is_taxii_content("application/json"));
        assert!(!is_taxii_content("application/taxii+json;version=2.0"));
    }
}
