//! The STIX 2.1 property tables, as data: for every object type, its properties with their
//! kinds, requiredness, vocabularies and reference targets. The validator interprets these tables;
//! the typed structs in `sdo`/`sco` name the same properties (a test keeps the two in step).

/// What kind of object a type is (STIX 2.1 §1.6 "Object types").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Category {
    /// STIX Domain Object (§4).
    Sdo,
    /// STIX Cyber-observable Object (§6).
    Sco,
    /// STIX Relationship Object (§5).
    Sro,
    /// Language content, marking definition, extension definition (§7).
    Meta,
    /// A type this crate does not know: a custom object.
    Custom,
}

/// The kind of value a property holds (STIX 2.1 §2).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    /// Any JSON string.
    String,
    /// `true` or `false`.
    Boolean,
    /// A JSON integer within the inclusive range.
    Integer {
        /// Smallest value allowed.
        min: i64,
        /// Largest value allowed.
        max: i64,
    },
    /// A JSON number within the inclusive range.
    Float {
        /// Smallest value allowed.
        min: f64,
        /// Largest value allowed.
        max: f64,
    },
    /// A STIX timestamp (§2.13).
    Timestamp,
    /// An identifier (§2.9) of one of these types; empty means any type.
    Ref(&'static [&'static str]),
    /// An identifier of an SCO (any SCO type, including custom ones).
    ScoRef,
    /// An identifier of an SDO, or of an SCO for relationship endpoints: anything but the
    /// meta objects, bundles and SROs.
    SdoRef,
    /// A non-empty list of values of the inner kind (§2.8).
    List(&'static Kind),
    /// A string from a closed list (§2.2 enumeration).
    Enum(&'static [&'static str]),
    /// A string that should come from a suggested list (§2.10 open vocabulary).
    OpenVocab(&'static [&'static str]),
    /// A dictionary (§2.6).
    Dictionary,
    /// A hashes dictionary (§2.4).
    Hashes,
    /// A hex string (§2.8): an even number of hexadecimal digits.
    Hex,
    /// A base64 string (§2.3).
    Binary,
    /// A nested object with these properties.
    Object(&'static [Prop]),
    /// The `extensions` dictionary (§7.3).
    Extensions,
}

/// One property of a type.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Prop {
    /// The property name.
    pub name: &'static str,
    /// Its kind.
    pub kind: Kind,
    /// Whether it is required.
    pub required: bool,
}

/// An object type's definition.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TypeDef {
    /// The type name, e.g. `indicator`.
    pub name: &'static str,
    /// SDO, SCO, SRO or meta.
    pub category: Category,
    /// The section of the STIX 2.1 specification that defines it.
    pub section: &'static str,
    /// Its own properties (the common ones are in [`SDO_COMMON`] and [`SCO_COMMON`]).
    pub props: &'static [Prop],
    /// ID-contributing properties of SCOs (§6, per type), used for deterministic UUIDv5 ids.
    pub id_contributing: &'static [&'static str],
}

/// A predefined extension of an SCO (§6, per type).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ExtensionDef {
    /// The extension name, e.g. `archive-ext`.
    pub name: &'static str,
    /// The SCO type it extends.
    pub extends: &'static str,
    /// The section that defines it.
    pub section: &'static str,
    /// Its properties.
    pub props: &'static [Prop],
    /// Whether at least one property must be present.
    pub at_least_one: bool,
}

const fn req(name: &'static str, kind: Kind) -> Prop {
    Prop { name, kind, required: true }
}

const fn opt(name: &'static str, kind: Kind) -> Prop {
    Prop { name, kind, required: false }
}

const STR: Kind = Kind::String;
const BOOL: Kind = Kind::Boolean;
const TS: Kind = Kind::Timestamp;
const STRS: Kind = Kind::List(&Kind::String);
const ANYREF: Kind = Kind::Ref(&[]);
const NONNEG: Kind = Kind::Integer { min: 0, max: i64::MAX };
const INT: Kind = Kind::Integer { min: i64::MIN, max: i64::MAX };
const PORT: Kind = Kind::Integer { min: 0, max: 65_535 };
const KILL_CHAIN: Kind = Kind::List(&Kind::Object(KILL_CHAIN_PHASE));
const fn refs(types: &'static [&'static str]) -> Kind {
    Kind::Ref(types)
}
const fn ref_list(inner: &'static Kind) -> Kind {
    Kind::List(inner)
}

/// Properties of an external reference (§2.5).
pub const EXTERNAL_REFERENCE: &[Prop] = &[
    req("source_name", STR),
    opt("description", STR),
    opt("url", STR),
    opt("hashes", Kind::Hashes),
    opt("external_id", STR),
];

/// Properties of a kill-chain phase (§2.7).
pub const KILL_CHAIN_PHASE: &[Prop] = &[req("kill_chain_name", STR), req("phase_name", STR)];

/// Properties of a granular marking (§7.2.3).
pub const GRANULAR_MARKING: &[Prop] =
    &[opt("lang", STR), opt("marking_ref", refs(&["marking-definition"])), req("selectors", STRS)];

/// Common properties of SDOs and SROs (§3.2).
pub const SDO_COMMON: &[Prop] = &[
    req("type", STR),
    req("spec_version", Kind::Enum(&["2.1"])),
    req("id", ANYREF),
    opt("created_by_ref", refs(&["identity"])),
    req("created", TS),
    req("modified", TS),
    opt("revoked", BOOL),
    opt("labels", STRS),
    opt("confidence", Kind::Integer { min: 0, max: 100 }),
    opt("lang", STR),
    opt("external_references", Kind::List(&Kind::Object(EXTERNAL_REFERENCE))),
    opt("object_marking_refs", ref_list(&refs(&["marking-definition"]))),
    opt("granular_markings", Kind::List(&Kind::Object(GRANULAR_MARKING))),
    opt("extensions", Kind::Extensions),
];

/// Common properties of SCOs (§3.2, §6).
pub const SCO_COMMON: &[Prop] = &[
    req("type", STR),
    opt("spec_version", Kind::Enum(&["2.1"])),
    req("id", ANYREF),
    opt("object_marking_refs", ref_list(&refs(&["marking-definition"]))),
    opt("granular_markings", Kind::List(&Kind::Object(GRANULAR_MARKING))),
    opt("defanged", BOOL),
    opt("extensions", Kind::Extensions),
];

/// Common properties of marking definitions (§7.2.1): no `modified`, no versioning.
pub const MARKING_COMMON: &[Prop] = &[
    req("type", STR),
    req("spec_version", Kind::Enum(&["2.1"])),
    req("id", ANYREF),
    opt("created_by_ref", refs(&["identity"])),
    req("created", TS),
    opt("external_references", Kind::List(&Kind::Object(EXTERNAL_REFERENCE))),
    opt("object_marking_refs", ref_list(&refs(&["marking-definition"]))),
    opt("granular_markings", Kind::List(&Kind::Object(GRANULAR_MARKING))),
    opt("extensions", Kind::Extensions),
];

// Open vocabularies (§10).
const ATTACK_MOTIVATION: &[&str] = &[
    "accidental",
    "coercion",
    "dominance",
    "ideology",
    "notoriety",
    "organizational-gain",
    "personal-gain",
    "personal-satisfaction",
    "revenge",
    "unpredictable",
];
const ATTACK_RESOURCE_LEVEL: &[&str] =
    &["individual", "club", "contest", "team", "organization", "government"];
const GROUPING_CONTEXT: &[&str] = &["suspicious-activity", "malware-analysis", "unspecified"];
const IDENTITY_CLASS: &[&str] =
    &["individual", "group", "system", "organization", "class", "unknown"];
const INDICATOR_TYPE: &[&str] = &[
    "anomalous-activity",
    "anonymization",
    "benign",
    "compromised",
    "malicious-activity",
    "attribution",
    "unknown",
];
const INDUSTRY_SECTOR: &[&str] = &[
    "agriculture",
    "aerospace",
    "automotive",
    "chemical",
    "commercial",
    "communications",
    "construction",
    "defense",
    "education",
    "energy",
    "entertainment",
    "financial-services",
    "government",
    "government-emergency-services",
    "government-local",
    "government-national",
    "government-public-services",
    "government-regional",
    "healthcare",
    "hospitality-leisure",
    "infrastructure",
    "infrastructure-dams",
    "infrastructure-nuclear",
    "infrastructure-water",
    "insurance",
    "manufacturing",
    "mining",
    "non-profit",
    "pharmaceuticals",
    "retail",
    "technology",
    "telecommunications",
    "transportation",
    "utilities",
];
const INFRASTRUCTURE_TYPE: &[&str] = &[
    "amplification",
    "anonymization",
    "botnet",
    "command-and-control",
    "control-system",
    "exfiltration",
    "firewall",
    "hosting-malware",
    "hosting-target-lists",
    "phishing",
    "reconnaissance",
    "routers-switches",
    "staging",
    "workstation",
    "unknown",
];
const IMPLEMENTATION_LANGUAGE: &[&str] = &[
    "applescript",
    "bash",
    "c",
    "c++",
    "c#",
    "go",
    "java",
    "javascript",
    "lua",
    "objective-c",
    "perl",
    "php",
    "powershell",
    "python",
    "ruby",
    "scala",
    "swift",
    "typescript",
    "visual-basic",
    "x86-32",
    "x86-64",
];
const MALWARE_CAPABILITY: &[&str] = &[
    "accesses-remote-machines",
    "anti-debugging",
    "anti-disassembly",
    "anti-emulation",
    "anti-memory-forensics",
    "anti-sandbox",
    "anti-vm",
    "captures-input-peripherals",
    "captures-output-peripherals",
    "captures-system-state-data",
    "cleans-traces-of-infection",
    "commits-fraud",
    "communicates-with-c2",
    "compromises-data-availability",
    "compromises-data-integrity",
    "compromises-system-availability",
    "controls-local-machine",
    "degrades-security-software",
    "degrades-system-updates",
    "determines-c2-server",
    "emails-spam",
    "escalates-privileges",
    "evades-av",
    "exfiltrates-data",
    "fingerprints-host",
    "hides-artifacts",
    "hides-executing-code",
    "infects-files",
    "infects-remote-machines",
    "installs-other-components",
    "persists-after-system-reboot",
    "prevents-artifact-access",
    "prevents-artifact-deletion",
    "probes-network-environment",
    "self-modifies",
    "steals-authentication-credentials",
    "violates-system-operational-integrity",
];
const MALWARE_RESULT: &[&str] = &["malicious", "suspicious", "benign", "unknown"];
const MALWARE_TYPE: &[&str] = &[
    "adware",
    "backdoor",
    "bot",
    "bootkit",
    "ddos",
    "downloader",
    "dropper",
    "exploit-kit",
    "keylogger",
    "ransomware",
    "remote-access-trojan",
    "resource-exploitation",
    "rogue-security-software",
    "rootkit",
    "screen-capture",
    "spyware",
    "trojan",
    "unknown",
    "virus",
    "webshell",
    "wiper",
    "worm",
];
const PATTERN_TYPE: &[&str] = &["stix", "pcre", "sigma", "snort", "suricata", "yara"];
const PROCESSOR_ARCHITECTURE: &[&str] =
    &["alpha", "arm", "ia-64", "mips", "powerpc", "sparc", "x86", "x86-64"];
const REGION: &[&str] = &[
    "africa",
    "eastern-africa",
    "middle-africa",
    "northern-africa",
    "southern-africa",
    "western-africa",
    "americas",
    "latin-america-caribbean",
    "south-america",
    "caribbean",
    "central-america",
    "northern-america",
    "asia",
    "central-asia",
    "eastern-asia",
    "southern-asia",
    "south-eastern-asia",
    "western-asia",
    "europe",
    "eastern-europe",
    "northern-europe",
    "southern-europe",
    "western-europe",
    "oceania",
    "antarctica",
    "australia-new-zealand",
    "melanesia",
    "micronesia",
    "polynesia",
];
const REPORT_TYPE: &[&str] = &[
    "attack-pattern",
    "campaign",
    "identity",
    "indicator",
    "intrusion-set",
    "malware",
    "observed-data",
    "threat-actor",
    "threat-report",
    "tool",
    "vulnerability",
];
const THREAT_ACTOR_TYPE: &[&str] = &[
    "activist",
    "competitor",
    "crime-syndicate",
    "criminal",
    "hacker",
    "insider-accidental",
    "insider-disgruntled",
    "nation-state",
    "sensationalist",
    "spy",
    "terrorist",
    "unknown",
];
const THREAT_ACTOR_ROLE: &[&str] = &[
    "agent",
    "director",
    "independent",
    "infrastructure-architect",
    "infrastructure-operator",
    "malware-author",
    "sponsor",
];
const THREAT_ACTOR_SOPHISTICATION: &[&str] =
    &["none", "minimal", "intermediate", "advanced", "expert", "innovator", "strategic"];
const TOOL_TYPE: &[&str] = &[
    "denial-of-service",
    "exploitation",
    "information-gathering",
    "network-capture",
    "credential-exploitation",
    "remote-access",
    "vulnerability-scanning",
    "unknown",
];
const ACCOUNT_TYPE: &[&str] = &[
    "facebook",
    "ldap",
    "nis",
    "openid",
    "radius",
    "skype",
    "tacacs",
    "twitter",
    "unix",
    "windows-local",
    "windows-domain",
];
const WINDOWS_PEBINARY_TYPE: &[&str] = &["dll", "exe", "sys"];
const HASH_ALGORITHM: &[&str] =
    &["MD5", "SHA-1", "SHA-256", "SHA-512", "SHA3-256", "SHA3-512", "SSDEEP", "TLSH"];

// Enumerations (§10, closed).
const ENCRYPTION_ALGORITHM: &[&str] = &["AES-256-GCM", "ChaCha20-Poly1305", "mime-type-indicated"];
const EXTENSION_TYPE: &[&str] =
    &["new-sdo", "new-sco", "new-sro", "property-extension", "toplevel-property-extension"];
const OPINION: &[&str] = &["strongly-disagree", "disagree", "neutral", "agree", "strongly-agree"];
const SOCKET_ADDRESS_FAMILY: &[&str] = &[
    "AF_UNSPEC",
    "AF_INET",
    "AF_IPX",
    "AF_APPLETALK",
    "AF_NETBIOS",
    "AF_INET6",
    "AF_IRDA",
    "AF_BTH",
];
const SOCKET_TYPE: &[&str] =
    &["SOCK_STREAM", "SOCK_DGRAM", "SOCK_RAW", "SOCK_RDM", "SOCK_SEQPACKET"];
const WINDOWS_INTEGRITY_LEVEL: &[&str] = &["low", "medium", "high", "system"];
const WINDOWS_REGISTRY_DATATYPE: &[&str] = &[
    "REG_NONE",
    "REG_SZ",
    "REG_EXPAND_SZ",
    "REG_BINARY",
    "REG_DWORD",
    "REG_DWORD_BIG_ENDIAN",
    "REG_DWORD_LITTLE_ENDIAN",
    "REG_LINK",
    "REG_MULTI_SZ",
    "REG_RESOURCE_LIST",
    "REG_FULL_RESOURCE_DESCRIPTION",
    "REG_RESOURCE_REQUIREMENTS_LIST",
    "REG_QWORD",
    "REG_INVALID_TYPE",
];
const WINDOWS_SERVICE_START_TYPE: &[&str] = &[
    "SERVICE_AUTO_START",
    "SERVICE_BOOT_START",
    "SERVICE_DEMAND_START",
    "SERVICE_DISABLED",
    "SERVICE_SYSTEM_ALERT",
];
const WINDOWS_SERVICE_TYPE: &[&str] = &[
    "SERVICE_KERNEL_DRIVER",
    "SERVICE_FILE_SYSTEM_DRIVER",
    "SERVICE_WIN32_OWN_PROCESS",
    "SERVICE_WIN32_SHARE_PROCESS",
];
const WINDOWS_SERVICE_STATUS: &[&str] = &[
    "SERVICE_CONTINUE_PENDING",
    "SERVICE_PAUSE_PENDING",
    "SERVICE_PAUSED",
    "SERVICE_RUNNING",
    "SERVICE_START_PENDING",
    "SERVICE_STOP_PENDING",
    "SERVICE_STOPPED",
];

const fn sdo(name: &'static str, section: &'static str, props: &'static [Prop]) -> TypeDef {
    TypeDef { name, category: Category::Sdo, section, props, id_contributing: &[] }
}

const fn sco(
    name: &'static str,
    section: &'static str,
    props: &'static [Prop],
    id_contributing: &'static [&'static str],
) -> TypeDef {
    TypeDef { name, category: Category::Sco, section, props, id_contributing }
}

const ADDR_REFS: Kind = refs(&["ipv4-addr", "ipv6-addr", "mac-addr", "domain-name"]);

/// Every STIX 2.1 object type.
pub const TYPES: &[TypeDef] = &[
    sdo(
        "attack-pattern",
        "4.1",
        &[
            req("name", STR),
            opt("description", STR),
            opt("aliases", STRS),
            opt("kill_chain_phases", KILL_CHAIN),
        ],
    ),
    sdo(
        "campaign",
        "4.2",
        &[
            req("name", STR),
            opt("description", STR),
            opt("aliases", STRS),
            opt("first_seen", TS),
            opt("last_seen", TS),
            opt("objective", STR),
        ],
    ),
    sdo("course-of-action", "4.3", &[req("name", STR), opt("description", STR)]),
    sdo(
        "grouping",
        "4.4",
        &[
            opt("name", STR),
            opt("description", STR),
            req("context", Kind::OpenVocab(GROUPING_CONTEXT)),
            req("object_refs", ref_list(&ANYREF)),
        ],
    ),
    sdo(
        "identity",
        "4.5",
        &[
            req("name", STR),
            opt("description", STR),
            opt("roles", STRS),
            opt("identity_class", Kind::OpenVocab(IDENTITY_CLASS)),
            opt("sectors", Kind::List(&Kind::OpenVocab(INDUSTRY_SECTOR))),
            opt("contact_information", STR),
        ],
    ),
    sdo(
        "incident",
        "4.6",
        &[req("name", STR), opt("description", STR), opt("kill_chain_phases", KILL_CHAIN)],
    ),
    sdo(
        "indicator",
        "4.7",
        &[
            opt("name", STR),
            opt("description", STR),
            opt("indicator_types", Kind::List(&Kind::OpenVocab(INDICATOR_TYPE))),
            req("pattern", STR),
            req("pattern_type", Kind::OpenVocab(PATTERN_TYPE)),
            opt("pattern_version", STR),
            req("valid_from", TS),
            opt("valid_until", TS),
            opt("kill_chain_phases", KILL_CHAIN),
        ],
    ),
    sdo(
        "infrastructure",
        "4.8",
        &[
            req("name", STR),
            opt("description", STR),
            opt("infrastructure_types", Kind::List(&Kind::OpenVocab(INFRASTRUCTURE_TYPE))),
            opt("aliases", STRS),
            opt("kill_chain_phases", KILL_CHAIN),
            opt("first_seen", TS),
            opt("last_seen", TS),
        ],
    ),
    sdo(
        "intrusion-set",
        "4.9",
        &[
            req("name", STR),
            opt("description", STR),
            opt("aliases", STRS),
            opt("first_seen", TS),
            opt("last_seen", TS),
            opt("goals", STRS),
            opt("resource_level", Kind::OpenVocab(ATTACK_RESOURCE_LEVEL)),
            opt("primary_motivation", Kind::OpenVocab(ATTACK_MOTIVATION)),
            opt("secondary_motivations", Kind::List(&Kind::OpenVocab(ATTACK_MOTIVATION))),
        ],
    ),
    sdo(
        "location",
        "4.10",
        &[
            opt("name", STR),
            opt("description", STR),
            opt("latitude", Kind::Float { min: -90.0, max: 90.0 }),
            opt("longitude", Kind::Float { min: -180.0, max: 180.0 }),
            opt("precision", Kind::Float { min: 0.0, max: f64::MAX }),
            opt("region", Kind::OpenVocab(REGION)),
            opt("country", STR),
            opt("administrative_area", STR),
            opt("city", STR),
            opt("street_address", STR),
            opt("postal_code", STR),
        ],
    ),
    sdo(
        "malware",
        "4.11",
        &[
            opt("name", STR),
            opt("description", STR),
            opt("malware_types", Kind::List(&Kind::OpenVocab(MALWARE_TYPE))),
            req("is_family", BOOL),
            opt("aliases", STRS),
            opt("kill_chain_phases", KILL_CHAIN),
            opt("first_seen", TS),
            opt("last_seen", TS),
            opt("operating_system_refs", ref_list(&refs(&["software"]))),
            opt(
                "architecture_execution_envs",
                Kind::List(&Kind::OpenVocab(PROCESSOR_ARCHITECTURE)),
            ),
            opt("implementation_languages", Kind::List(&Kind::OpenVocab(IMPLEMENTATION_LANGUAGE))),
            opt("capabilities", Kind::List(&Kind::OpenVocab(MALWARE_CAPABILITY))),
            opt("sample_refs", ref_list(&refs(&["file", "artifact"]))),
        ],
    ),
    sdo(
        "malware-analysis",
        "4.12",
        &[
            req("product", STR),
            opt("version", STR),
            opt("host_vm_ref", refs(&["software"])),
            opt("operating_system_ref", refs(&["software"])),
            opt("installed_software_refs", ref_list(&refs(&["software"]))),
            opt("configuration_version", STR),
            opt("modules", STRS),
            opt("analysis_engine_version", STR),
            opt("analysis_definition_version", STR),
            opt("submitted", TS),
            opt("analysis_started", TS),
            opt("analysis_ended", TS),
            opt("result_name", STR),
            opt("result", Kind::OpenVocab(MALWARE_RESULT)),
            opt("analysis_sco_refs", ref_list(&Kind::ScoRef)),
            opt("sample_ref", refs(&["file", "network-traffic", "artifact"])),
        ],
    ),
    sdo(
        "note",
        "4.13",
        &[
            opt("abstract", STR),
            req("content", STR),
            opt("authors", STRS),
            req("object_refs", ref_list(&ANYREF)),
        ],
    ),
    sdo(
        "observed-data",
        "4.14",
        &[
            req("first_observed", TS),
            req("last_observed", TS),
            req("number_observed", Kind::Integer { min: 1, max: 999_999_999 }),
            opt("objects", Kind::Dictionary),
            opt("object_refs", ref_list(&ANYREF)),
        ],
    ),
    sdo(
        "opinion",
        "4.15",
        &[
            opt("explanation", STR),
            opt("authors", STRS),
            req("opinion", Kind::Enum(OPINION)),
            req("object_refs", ref_list(&ANYREF)),
        ],
    ),
    sdo(
        "report",
        "4.16",
        &[
            req("name", STR),
            opt("description", STR),
            opt("report_types", Kind::List(&Kind::OpenVocab(REPORT_TYPE))),
            req("published", TS),
            req("object_refs", ref_list(&ANYREF)),
        ],
    ),
    sdo(
        "threat-actor",
        "4.17",
        &[
            req("name", STR),
            opt("description", STR),
            opt("threat_actor_types", Kind::List(&Kind::OpenVocab(THREAT_ACTOR_TYPE))),
            opt("aliases", STRS),
            opt("first_seen", TS),
            opt("last_seen", TS),
            opt("roles", Kind::List(&Kind::OpenVocab(THREAT_ACTOR_ROLE))),
            opt("goals", STRS),
            opt("sophistication", Kind::OpenVocab(THREAT_ACTOR_SOPHISTICATION)),
            opt("resource_level", Kind::OpenVocab(ATTACK_RESOURCE_LEVEL)),
            opt("primary_motivation", Kind::OpenVocab(ATTACK_MOTIVATION)),
            opt("secondary_motivations", Kind::List(&Kind::OpenVocab(ATTACK_MOTIVATION))),
            opt("personal_motivations", Kind::List(&Kind::OpenVocab(ATTACK_MOTIVATION))),
        ],
    ),
    sdo(
        "tool",
        "4.18",
        &[
            req("name", STR),
            opt("description", STR),
            opt("tool_types", Kind::List(&Kind::OpenVocab(TOOL_TYPE))),
            opt("aliases", STRS),
            opt("kill_chain_phases", KILL_CHAIN),
            opt("tool_version", STR),
        ],
    ),
    sdo("vulnerability", "4.19", &[req("name", STR), opt("description", STR)]),
    TypeDef {
        name: "relationship",
        category: Category::Sro,
        section: "5.1",
        props: &[
            req("relationship_type", STR),
            opt("description", STR),
            req("source_ref", Kind::SdoRef),
            req("target_ref", Kind::SdoRef),
            opt("start_time", TS),
            opt("stop_time", TS),
        ],
        id_contributing: &[],
    },
    TypeDef {
        name: "sighting",
        category: Category::Sro,
        section: "5.2",
        props: &[
            opt("description", STR),
            opt("first_seen", TS),
            opt("last_seen", TS),
            opt("count", Kind::Integer { min: 0, max: 999_999_999 }),
            req("sighting_of_ref", Kind::SdoRef),
            opt("observed_data_refs", ref_list(&refs(&["observed-data"]))),
            opt("where_sighted_refs", ref_list(&refs(&["identity", "location"]))),
            opt("summary", BOOL),
        ],
        id_contributing: &[],
    },
    sco(
        "artifact",
        "6.1",
        &[
            opt("mime_type", STR),
            opt("payload_bin", Kind::Binary),
            opt("url", STR),
            opt("hashes", Kind::Hashes),
            opt("encryption_algorithm", Kind::Enum(ENCRYPTION_ALGORITHM)),
            opt("decryption_key", STR),
        ],
        &["hashes", "payload_bin"],
    ),
    sco(
        "autonomous-system",
        "6.2",
        &[req("number", NONNEG), opt("name", STR), opt("rir", STR)],
        &["number"],
    ),
    sco(
        "directory",
        "6.3",
        &[
            req("path", STR),
            opt("path_enc", STR),
            opt("ctime", TS),
            opt("mtime", TS),
            opt("atime", TS),
            opt("contains_refs", ref_list(&refs(&["file", "directory"]))),
        ],
        &["path"],
    ),
    sco(
        "domain-name",
        "6.4",
        &[
            req("value", STR),
            opt("resolves_to_refs", ref_list(&refs(&["ipv4-addr", "ipv6-addr", "domain-name"]))),
        ],
        &["value"],
    ),
    sco(
        "email-addr",
        "6.5",
        &[
            req("value", STR),
            opt("display_name", STR),
            opt("belongs_to_ref", refs(&["user-account"])),
        ],
        &["value"],
    ),
    sco(
        "email-message",
        "6.6",
        &[
            req("is_multipart", BOOL),
            opt("date", TS),
            opt("content_type", STR),
            opt("from_ref", refs(&["email-addr"])),
            opt("sender_ref", refs(&["email-addr"])),
            opt("to_refs", ref_list(&refs(&["email-addr"]))),
            opt("cc_refs", ref_list(&refs(&["email-addr"]))),
            opt("bcc_refs", ref_list(&refs(&["email-addr"]))),
            opt("message_id", STR),
            opt("subject", STR),
            opt("received_lines", STRS),
            opt("additional_header_fields", Kind::Dictionary),
            opt("body", STR),
            opt("body_multipart", Kind::List(&Kind::Object(EMAIL_MIME_COMPONENT))),
            opt("raw_email_ref", refs(&["artifact"])),
        ],
        &["from_ref", "subject", "body"],
    ),
    sco(
        "file",
        "6.7",
        &[
            opt("hashes", Kind::Hashes),
            opt("size", NONNEG),
            opt("name", STR),
            opt("name_enc", STR),
            opt("magic_number_hex", Kind::Hex),
            opt("mime_type", STR),
            opt("ctime", TS),
            opt("mtime", TS),
            opt("atime", TS),
            opt("parent_directory_ref", refs(&["directory"])),
            opt("contains_refs", ref_list(&Kind::ScoRef)),
            opt("content_ref", refs(&["artifact"])),
        ],
        &["hashes", "name", "extensions", "parent_directory_ref"],
    ),
    sco(
        "ipv4-addr",
        "6.8",
        &[
            req("value", STR),
            opt("resolves_to_refs", ref_list(&refs(&["mac-addr"]))),
            opt("belongs_to_refs", ref_list(&refs(&["autonomous-system"]))),
        ],
        &["value"],
    ),
    sco(
        "ipv6-addr",
        "6.9",
        &[
            req("value", STR),
            opt("resolves_to_refs", ref_list(&refs(&["mac-addr"]))),
            opt("belongs_to_refs", ref_list(&refs(&["autonomous-system"]))),
        ],
        &["value"],
    ),
    sco("mac-addr", "6.10", &[req("value", STR)], &["value"]),
    sco("mutex", "6.11", &[req("name", STR)], &["name"]),
    sco(
        "network-traffic",
        "6.12",
        &[
            opt("start", TS),
            opt("end", TS),
            opt("is_active", BOOL),
            opt("src_ref", ADDR_REFS),
            opt("dst_ref", ADDR_REFS),
            opt("src_port", PORT),
            opt("dst_port", PORT),
            req("protocols", STRS),
            opt("src_byte_count", NONNEG),
            opt("dst_byte_count", NONNEG),
            opt("src_packets", NONNEG),
            opt("dst_packets", NONNEG),
            opt("ipfix", Kind::Dictionary),
            opt("src_payload_ref", refs(&["artifact"])),
            opt("dst_payload_ref", refs(&["artifact"])),
            opt("encapsulates_refs", ref_list(&refs(&["network-traffic"]))),
            opt("encapsulated_by_ref", refs(&["network-traffic"])),
        ],
        &["start", "end", "src_ref", "dst_ref", "src_port", "dst_port", "protocols", "extensions"],
    ),
    sco(
        "process",
        "6.13",
        &[
            opt("is_hidden", BOOL),
            opt("pid", INT),
            opt("created_time", TS),
            opt("cwd", STR),
            opt("command_line", STR),
            opt("environment_variables", Kind::Dictionary),
            opt("opened_connection_refs", ref_list(&refs(&["network-traffic"]))),
            opt("creator_user_ref", refs(&["user-account"])),
            opt("image_ref", refs(&["file"])),
            opt("parent_ref", refs(&["process"])),
            opt("child_refs", ref_list(&refs(&["process"]))),
        ],
        &[],
    ),
    sco(
        "software",
        "6.14",
        &[
            req("name", STR),
            opt("cpe", STR),
            opt("swid", STR),
            opt("languages", STRS),
            opt("vendor", STR),
            opt("version", STR),
        ],
        &["name", "cpe", "swid", "vendor", "version"],
    ),
    sco("url", "6.15", &[req("value", STR)], &["value"]),
    sco(
        "user-account",
        "6.16",
        &[
            opt("user_id", STR),
            opt("credential", STR),
            opt("account_login", STR),
            opt("account_type", Kind::OpenVocab(ACCOUNT_TYPE)),
            opt("display_name", STR),
            opt("is_service_account", BOOL),
            opt("is_privileged", BOOL),
            opt("can_escalate_privs", BOOL),
            opt("is_disabled", BOOL),
            opt("account_created", TS),
            opt("account_expires", TS),
            opt("credential_last_changed", TS),
            opt("account_first_login", TS),
            opt("account_last_login", TS),
        ],
        &["account_type", "user_id", "account_login"],
    ),
    sco(
        "windows-registry-key",
        "6.17",
        &[
            opt("key", STR),
            opt("values", Kind::List(&Kind::Object(WINDOWS_REGISTRY_VALUE))),
            opt("modified_time", TS),
            opt("creator_user_ref", refs(&["user-account"])),
            opt("number_of_subkeys", NONNEG),
        ],
        &["key", "values"],
    ),
    sco(
        "x509-certificate",
        "6.18",
        &[
            opt("is_self_signed", BOOL),
            opt("hashes", Kind::Hashes),
            opt("version", STR),
            opt("serial_number", STR),
            opt("signature_algorithm", STR),
            opt("issuer", STR),
            opt("validity_not_before", TS),
            opt("validity_not_after", TS),
            opt("subject", STR),
            opt("subject_public_key_algorithm", STR),
            opt("subject_public_key_modulus", STR),
            opt("subject_public_key_exponent", NONNEG),
            opt("x509_v3_extensions", Kind::Object(X509_V3_EXTENSIONS)),
        ],
        &["hashes", "serial_number"],
    ),
    TypeDef {
        name: "language-content",
        category: Category::Meta,
        section: "7.1",
        props: &[
            req("object_ref", ANYREF),
            opt("object_modified", TS),
            req("contents", Kind::Dictionary),
        ],
        id_contributing: &[],
    },
    TypeDef {
        name: "marking-definition",
        category: Category::Meta,
        section: "7.2.1",
        props: &[
            opt("definition_type", STR),
            opt("name", STR),
            opt("definition", Kind::Dictionary),
        ],
        id_contributing: &[],
    },
    TypeDef {
        name: "extension-definition",
        category: Category::Meta,
        section: "7.3",
        props: &[
            req("name", STR),
            opt("description", STR),
            req("schema", STR),
            req("version", STR),
            req("extension_types", Kind::List(&Kind::Enum(EXTENSION_TYPE))),
            opt("extension_properties", STRS),
        ],
        id_contributing: &[],
    },
];

/// Properties of an email MIME component (§6.6.2).
pub const EMAIL_MIME_COMPONENT: &[Prop] = &[
    opt("body", STR),
    opt("body_raw_ref", refs(&["artifact", "file"])),
    opt("content_type", STR),
    opt("content_disposition", STR),
];

/// Properties of a Windows registry value (§6.17.2).
pub const WINDOWS_REGISTRY_VALUE: &[Prop] =
    &[opt("name", STR), opt("data", STR), opt("data_type", Kind::Enum(WINDOWS_REGISTRY_DATATYPE))];

/// Properties of X.509 v3 extensions (§6.18.2).
pub const X509_V3_EXTENSIONS: &[Prop] = &[
    opt("basic_constraints", STR),
    opt("name_constraints", STR),
    opt("policy_constraints", STR),
    opt("key_usage", STR),
    opt("extended_key_usage", STR),
    opt("subject_key_identifier", STR),
    opt("authority_key_identifier", STR),
    opt("subject_alternative_name", STR),
    opt("issuer_alternative_name", STR),
    opt("subject_directory_attributes", STR),
    opt("crl_distribution_points", STR),
    opt("inhibit_any_policy", STR),
    opt("private_key_usage_period_not_before", TS),
    opt("private_key_usage_period_not_after", TS),
    opt("certificate_policies", STR),
    opt("policy_mappings", STR),
];

const ALTERNATE_DATA_STREAM: &[Prop] =
    &[req("name", STR), opt("hashes", Kind::Hashes), opt("size", NONNEG)];

const PE_OPTIONAL_HEADER: &[Prop] = &[
    opt("magic_hex", Kind::Hex),
    opt("major_linker_version", INT),
    opt("minor_linker_version", INT),
    opt("size_of_code", NONNEG),
    opt("size_of_initialized_data", NONNEG),
    opt("size_of_uninitialized_data", NONNEG),
    opt("address_of_entry_point", INT),
    opt("base_of_code", INT),
    opt("base_of_data", INT),
    opt("image_base", INT),
    opt("section_alignment", INT),
    opt("file_alignment", INT),
    opt("major_os_version", INT),
    opt("minor_os_version", INT),
    opt("major_image_version", INT),
    opt("minor_image_version", INT),
    opt("major_subsystem_version", INT),
    opt("minor_subsystem_version", INT),
    opt("win32_version_value_hex", Kind::Hex),
    opt("size_of_image", NONNEG),
    opt("size_of_headers", NONNEG),
    opt("checksum_hex", Kind::Hex),
    opt("subsystem_hex", Kind::Hex),
    opt("dll_characteristics_hex", Kind::Hex),
    opt("size_of_stack_reserve", NONNEG),
    opt("size_of_stack_commit", NONNEG),
    opt("size_of_heap_reserve", NONNEG),
    opt("size_of_heap_commit", NONNEG),
    opt("loader_flags_hex", Kind::Hex),
    opt("number_of_rva_and_sizes", INT),
    opt("hashes", Kind::Hashes),
];

const PE_SECTION: &[Prop] = &[
    req("name", STR),
    opt("size", NONNEG),
    opt("entropy", Kind::Float { min: 0.0, max: 8.0 }),
    opt("hashes", Kind::Hashes),
];

/// The predefined SCO extensions (§6).
pub const EXTENSIONS: &[ExtensionDef] = &[
    ExtensionDef {
        name: "archive-ext",
        extends: "file",
        section: "6.7.2",
        props: &[
            req("contains_refs", ref_list(&refs(&["file", "directory"]))),
            opt("comment", STR),
        ],
        at_least_one: false,
    },
    ExtensionDef {
        name: "ntfs-ext",
        extends: "file",
        section: "6.7.3",
        props: &[
            opt("sid", STR),
            opt("alternate_data_streams", Kind::List(&Kind::Object(ALTERNATE_DATA_STREAM))),
        ],
        at_least_one: true,
    },
    ExtensionDef {
        name: "pdf-ext",
        extends: "file",
        section: "6.7.4",
        props: &[
            opt("version", STR),
            opt("is_optimized", BOOL),
            opt("document_info_dict", Kind::Dictionary),
            opt("pdfid0", STR),
            opt("pdfid1", STR),
        ],
        at_least_one: true,
    },
    ExtensionDef {
        name: "raster-image-ext",
        extends: "file",
        section: "6.7.5",
        props: &[
            opt("image_height", NONNEG),
            opt("image_width", NONNEG),
            opt("bits_per_pixel", NONNEG),
            opt("exif_tags", Kind::Dictionary),
        ],
        at_least_one: true,
    },
    ExtensionDef {
        name: "windows-pebinary-ext",
        extends: "file",
        section: "6.7.6",
        props: &[
            req("pe_type", Kind::OpenVocab(WINDOWS_PEBINARY_TYPE)),
            opt("imphash", STR),
            opt("machine_hex", Kind::Hex),
            opt("number_of_sections", NONNEG),
            opt("time_date_stamp", TS),
            opt("pointer_to_symbol_table_hex", Kind::Hex),
            opt("number_of_symbols", NONNEG),
            opt("size_of_optional_header", NONNEG),
            opt("characteristics_hex", Kind::Hex),
            opt("file_header_hashes", Kind::Hashes),
            opt("optional_header", Kind::Object(PE_OPTIONAL_HEADER)),
            opt("sections", Kind::List(&Kind::Object(PE_SECTION))),
        ],
        at_least_one: false,
    },
    ExtensionDef {
        name: "http-request-ext",
        extends: "network-traffic",
        section: "6.12.2",
        props: &[
            req("request_method", STR),
            req("request_value", STR),
            opt("request_version", STR),
            opt("request_header", Kind::Dictionary),
            opt("message_body_length", NONNEG),
            opt("message_body_data_ref", refs(&["artifact"])),
        ],
        at_least_one: false,
    },
    ExtensionDef {
        name: "icmp-ext",
        extends: "network-traffic",
        section: "6.12.3",
        props: &[req("icmp_type_hex", Kind::Hex), req("icmp_code_hex", Kind::Hex)],
        at_least_one: false,
    },
    ExtensionDef {
        name: "socket-ext",
        extends: "network-traffic",
        section: "6.12.4",
        props: &[
            req("address_family", Kind::Enum(SOCKET_ADDRESS_FAMILY)),
            opt("is_blocking", BOOL),
            opt("is_listening", BOOL),
            opt("options", Kind::Dictionary),
            opt("socket_type", Kind::Enum(SOCKET_TYPE)),
            opt("socket_descriptor", NONNEG),
            opt("socket_handle", INT),
        ],
        at_least_one: false,
    },
    ExtensionDef {
        name: "tcp-ext",
        extends: "network-traffic",
        section: "6.12.5",
        props: &[opt("src_flags_hex", Kind::Hex), opt("dst_flags_hex", Kind::Hex)],
        at_least_one: true,
    },
    ExtensionDef {
        name: "windows-process-ext",
        extends: "process",
        section: "6.13.2",
        props: &[
            opt("aslr_enabled", BOOL),
            opt("dep_enabled", BOOL),
            opt("priority", STR),
            opt("owner_sid", STR),
            opt("window_title", STR),
            opt("startup_info", Kind::Dictionary),
            opt("integrity_level", Kind::Enum(WINDOWS_INTEGRITY_LEVEL)),
        ],
        at_least_one: true,
    },
    ExtensionDef {
        name: "windows-service-ext",
        extends: "process",
        section: "6.13.3",
        props: &[
            opt("service_name", STR),
            opt("descriptions", STRS),
            opt("display_name", STR),
            opt("group_name", STR),
            opt("start_type", Kind::Enum(WINDOWS_SERVICE_START_TYPE)),
            opt("service_dll_refs", ref_list(&refs(&["file"]))),
            opt("service_type", Kind::Enum(WINDOWS_SERVICE_TYPE)),
            opt("service_status", Kind::Enum(WINDOWS_SERVICE_STATUS)),
        ],
        at_least_one: true,
    },
    ExtensionDef {
        name: "unix-account-ext",
        extends: "user-account",
        section: "6.16.2",
        props: &[opt("gid", INT), opt("groups", STRS), opt("home_dir", STR), opt("shell", STR)],
        at_least_one: true,
    },
];

/// The hash algorithm names of `hash-algorithm-ov` (§10.10), with the hex length each requires.
pub const HASH_LENGTHS: &[(&str, usize)] = &[
    ("MD5", 32),
    ("SHA-1", 40),
    ("SHA-256", 64),
    ("SHA-512", 128),
    ("SHA3-256", 64),
    ("SHA3-512", 128),
];

/// Whether `name` is in `hash-algorithm-ov`.
pub fn is_known_hash(name: &str) -> bool {
    HASH_ALGORITHM.contains(&name)
}

/// The definition of a STIX 2.1 type, if it is one.
pub fn type_def(name: &str) -> Option<&'static TypeDef> {
    TYPES.iter().find(|t| t.name == name)
}

/// The predefined extension `name`, if it is one.
pub fn extension_def(name: &str) -> Option<&'static ExtensionDef> {
    EXTENSIONS.iter().find(|e| e.name == name)
}

/// The category of a type name; unknown names are [`Category::Custom`].
pub fn category(name: &str) -> Category {
    type_def(name).map_or(Category::Custom, |t| t.category)
}
