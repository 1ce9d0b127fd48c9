//! STIX Domain Objects (STIX 2.1 §4): one struct per type, with the common properties flattened in.
//! Property names and requiredness follow the specification's property tables; every struct keeps
//! unknown properties in `extra`.

use crate::common::{Dictionary, KillChainPhase, SdoCommon, properties};
use crate::{Identifier, Timestamp};

properties! {
    /// Attack Pattern (STIX 2.1 §4.1): a TTP describing how adversaries try to compromise targets.
    AttackPattern (SdoCommon) {
        /// A name used to identify the attack pattern.
        name: String,
        /// More details and context.
        description: Option<String>,
        /// Alternative names.
        aliases: Option<Vec<String>>,
        /// Kill-chain phases it is used in.
        kill_chain_phases: Option<Vec<KillChainPhase>>,
    }
}

properties! {
    /// Campaign (STIX 2.1 §4.2): a grouping of adversarial behaviours over time against targets.
    Campaign (SdoCommon) {
        /// A name used to identify the campaign.
        name: String,
        /// More details and context.
        description: Option<String>,
        /// Alternative names.
        aliases: Option<Vec<String>>,
        /// When the campaign was first seen.
        first_seen: Option<Timestamp>,
        /// When the campaign was last seen.
        last_seen: Option<Timestamp>,
        /// The campaign's primary goal.
        objective: Option<String>,
    }
}

properties! {
    /// Course of Action (STIX 2.1 §4.3): a recommendation to prevent or respond to an attack.
    CourseOfAction (SdoCommon) {
        /// A name used to identify the course of action.
        name: String,
        /// More details and context.
        description: Option<String>,
    }
}

properties! {
    /// Grouping (STIX 2.1 §4.4): objects asserted to be related to a shared context.
    Grouping (SdoCommon) {
        /// A name for the grouping.
        name: Option<String>,
        /// More details and context.
        description: Option<String>,
        /// The context (open vocabulary `grouping-context-ov`).
        context: String,
        /// The objects referred to.
        object_refs: Vec<Identifier>,
    }
}

properties! {
    /// Identity (STIX 2.1 §4.5): individuals, organisations, groups, sectors, systems.
    Identity (SdoCommon) {
        /// The name of the identity.
        name: String,
        /// More details and context.
        description: Option<String>,
        /// Roles the identity performs.
        roles: Option<Vec<String>>,
        /// The kind of entity (open vocabulary `identity-class-ov`).
        identity_class: Option<String>,
        /// Industry sectors (open vocabulary `industry-sector-ov`).
        sectors: Option<Vec<String>>,
        /// Contact information (personal data when the identity is an individual).
        contact_information: Option<String>,
    }
}

properties! {
    /// Incident (STIX 2.1 §4.6): a stub object for incidents, extended by extension definitions.
    Incident (SdoCommon) {
        /// A name used to identify the incident.
        name: String,
        /// More details and context.
        description: Option<String>,
        /// Kill-chain phases the incident relates to.
        kill_chain_phases: Option<Vec<KillChainPhase>>,
    }
}

properties! {
    /// Indicator (STIX 2.1 §4.7): a pattern that can be used to detect suspicious activity.
    Indicator (SdoCommon) {
        /// A name used to identify the indicator.
        name: Option<String>,
        /// More details and context.
        description: Option<String>,
        /// Categories (open vocabulary `indicator-type-ov`).
        indicator_types: Option<Vec<String>>,
        /// The detection pattern.
        pattern: String,
        /// The pattern language (open vocabulary `pattern-type-ov`), e.g. `stix`.
        pattern_type: String,
        /// The version of the pattern language.
        pattern_version: Option<String>,
        /// When the indicator becomes valid.
        valid_from: Timestamp,
        /// When the indicator stops being valid.
        valid_until: Option<Timestamp>,
        /// Kill-chain phases it detects.
        kill_chain_phases: Option<Vec<KillChainPhase>>,
    }
}

properties! {
    /// Infrastructure (STIX 2.1 §4.8): systems and services used for attack or defence.
    Infrastructure (SdoCommon) {
        /// A name used to identify the infrastructure.
        name: String,
        /// More details and context.
        description: Option<String>,
        /// Categories (open vocabulary `infrastructure-type-ov`).
        infrastructure_types: Option<Vec<String>>,
        /// Alternative names.
        aliases: Option<Vec<String>>,
        /// Kill-chain phases it is used in.
        kill_chain_phases: Option<Vec<KillChainPhase>>,
        /// When it was first seen.
        first_seen: Option<Timestamp>,
        /// When it was last seen.
        last_seen: Option<Timestamp>,
    }
}

properties! {
    /// Intrusion Set (STIX 2.1 §4.9): adversarial behaviours with common properties.
    IntrusionSet (SdoCommon) {
        /// A name used to identify the intrusion set.
        name: String,
        /// More details and context.
        description: Option<String>,
        /// Alternative names.
        aliases: Option<Vec<String>>,
        /// When it was first seen.
        first_seen: Option<Timestamp>,
        /// When it was last seen.
        last_seen: Option<Timestamp>,
        /// High-level goals.
        goals: Option<Vec<String>>,
        /// Organisational level (open vocabulary `attack-resource-level-ov`).
        resource_level: Option<String>,
        /// Primary motivation (open vocabulary `attack-motivation-ov`).
        primary_motivation: Option<String>,
        /// Secondary motivations.
        secondary_motivations: Option<Vec<String>>,
    }
}

properties! {
    /// Location (STIX 2.1 §4.10): a geographic location.
    Location (SdoCommon) {
        /// A name for the location.
        name: Option<String>,
        /// More details and context.
        description: Option<String>,
        /// Latitude in decimal degrees, -90.0 to 90.0.
        latitude: Option<f64>,
        /// Longitude in decimal degrees, -180.0 to 180.0.
        longitude: Option<f64>,
        /// Precision in metres.
        precision: Option<f64>,
        /// Region (open vocabulary `region-ov`).
        region: Option<String>,
        /// ISO 3166-1 alpha-2 country code.
        country: Option<String>,
        /// State, province or similar.
        administrative_area: Option<String>,
        /// City.
        city: Option<String>,
        /// Street address.
        street_address: Option<String>,
        /// Postal code.
        postal_code: Option<String>,
    }
}

properties! {
    /// Malware (STIX 2.1 §4.11): malicious code, as a family or an instance.
    Malware (SdoCommon) {
        /// A name used to identify the malware.
        name: Option<String>,
        /// More details and context.
        description: Option<String>,
        /// Categories (open vocabulary `malware-type-ov`).
        malware_types: Option<Vec<String>>,
        /// Whether this is a family (true) or an instance (false).
        is_family: bool,
        /// Alternative names.
        aliases: Option<Vec<String>>,
        /// Kill-chain phases it is used in.
        kill_chain_phases: Option<Vec<KillChainPhase>>,
        /// When it was first seen.
        first_seen: Option<Timestamp>,
        /// When it was last seen.
        last_seen: Option<Timestamp>,
        /// Operating systems it runs on (`software` SCOs).
        operating_system_refs: Option<Vec<Identifier>>,
        /// Processor architectures (open vocabulary `processor-architecture-ov`).
        architecture_execution_envs: Option<Vec<String>>,
        /// Implementation languages (open vocabulary `implementation-language-ov`).
        implementation_languages: Option<Vec<String>>,
        /// Capabilities (open vocabulary `malware-capabilities-ov`).
        capabilities: Option<Vec<String>>,
        /// Samples (`file` or `artifact` SCOs).
        sample_refs: Option<Vec<Identifier>>,
    }
}

properties! {
    /// Malware Analysis (STIX 2.1 §4.12): the result of a static or dynamic analysis.
    MalwareAnalysis (SdoCommon) {
        /// The analysis product.
        product: String,
        /// The product's version.
        version: Option<String>,
        /// The virtual machine used (`software` SCO).
        host_vm_ref: Option<Identifier>,
        /// The operating system used (`software` SCO).
        operating_system_ref: Option<Identifier>,
        /// Other installed software (`software` SCOs).
        installed_software_refs: Option<Vec<Identifier>>,
        /// Configuration version.
        configuration_version: Option<String>,
        /// Modules used.
        modules: Option<Vec<String>>,
        /// Analysis engine version.
        analysis_engine_version: Option<String>,
        /// Analysis definition version.
        analysis_definition_version: Option<String>,
        /// When the sample was submitted.
        submitted: Option<Timestamp>,
        /// When the analysis started.
        analysis_started: Option<Timestamp>,
        /// When the analysis ended.
        analysis_ended: Option<Timestamp>,
        /// The classification result name.
        result_name: Option<String>,
        /// The result (open vocabulary `malware-result-ov`).
        result: Option<String>,
        /// SCOs captured during the analysis.
        analysis_sco_refs: Option<Vec<Identifier>>,
        /// The analysed sample (`file`, `network-traffic` or `artifact`).
        sample_ref: Option<Identifier>,
    }
}

properties! {
    /// Note (STIX 2.1 §4.13): additional context added by anyone.
    Note (SdoCommon) {
        /// A brief summary.
        r#abstract: Option<String>,
        /// The content of the note.
        content: String,
        /// Names of the authors (personal data).
        authors: Option<Vec<String>>,
        /// The objects the note applies to.
        object_refs: Vec<Identifier>,
    }
}

properties! {
    /// Observed Data (STIX 2.1 §4.14): raw cyber observables seen on systems and networks.
    ObservedData (SdoCommon) {
        /// Start of the observation window.
        first_observed: Timestamp,
        /// End of the observation window.
        last_observed: Timestamp,
        /// How many times the data was observed, 1 to 999,999,999.
        number_observed: i64,
        /// Embedded observables (deprecated in 2.1).
        objects: Option<Dictionary>,
        /// The SCOs (and SROs) observed.
        object_refs: Option<Vec<Identifier>>,
    }
}

properties! {
    /// Opinion (STIX 2.1 §4.15): an assessment of the correctness of other objects.
    Opinion (SdoCommon) {
        /// Why the opinion is held.
        explanation: Option<String>,
        /// Names of the authors (personal data).
        authors: Option<Vec<String>>,
        /// The opinion (enum `opinion-enum`).
        opinion: String,
        /// The objects the opinion is about.
        object_refs: Vec<Identifier>,
    }
}

properties! {
    /// Report (STIX 2.1 §4.16): a collection of threat intelligence on a topic.
    Report (SdoCommon) {
        /// A name used to identify the report.
        name: String,
        /// More details and context.
        description: Option<String>,
        /// Categories (open vocabulary `report-type-ov`).
        report_types: Option<Vec<String>>,
        /// When the report was officially published.
        published: Timestamp,
        /// The objects the report is about.
        object_refs: Vec<Identifier>,
    }
}

properties! {
    /// Threat Actor (STIX 2.1 §4.17): individuals, groups or organisations acting with malice.
    ThreatActor (SdoCommon) {
        /// A name used to identify the threat actor.
        name: String,
        /// More details and context.
        description: Option<String>,
        /// Categories (open vocabulary `threat-actor-type-ov`).
        threat_actor_types: Option<Vec<String>>,
        /// Alternative names.
        aliases: Option<Vec<String>>,
        /// When it was first seen.
        first_seen: Option<Timestamp>,
        /// When it was last seen.
        last_seen: Option<Timestamp>,
        /// Roles (open vocabulary `threat-actor-role-ov`).
        roles: Option<Vec<String>>,
        /// High-level goals.
        goals: Option<Vec<String>>,
        /// Skill level (open vocabulary `threat-actor-sophistication-ov`).
        sophistication: Option<String>,
        /// Organisational level (open vocabulary `attack-resource-level-ov`).
        resource_level: Option<String>,
        /// Primary motivation (open vocabulary `attack-motivation-ov`).
        primary_motivation: Option<String>,
        /// Secondary motivations.
        secondary_motivations: Option<Vec<String>>,
        /// Personal motivations.
        personal_motivations: Option<Vec<String>>,
    }
}

properties! {
    /// Tool (STIX 2.1 §4.18): legitimate software that can be used by threat actors.
    Tool (SdoCommon) {
        /// A name used to identify the tool.
        name: String,
        /// More details and context.
        description: Option<String>,
        /// Categories (open vocabulary `tool-type-ov`).
        tool_types: Option<Vec<String>>,
        /// Alternative names.
        aliases: Option<Vec<String>>,
        /// Kill-chain phases it is used in.
        kill_chain_phases: Option<Vec<KillChainPhase>>,
        /// The tool's version.
        tool_version: Option<String>,
    }
}

properties! {
    /// Vulnerability (STIX 2.1 §4.19): a mistake in software that can be exploited.
    Vulnerability (SdoCommon) {
        /// A name used to identify the vulnerability.
        name: String,
        /// More details and context.
        description: Option<String>,
    }
}

properties! {
    /// Relationship (STIX 2.1 §5.1): links two SDOs or SCOs.
    Relationship (SdoCommon) {
        /// The type of relationship, e.g. `indicates`.
        relationship_type: String,
        /// More details and context.
        description: Option<String>,
        /// The source object.
        source_ref: Identifier,
        /// The target object.
        target_ref: Identifier,
        /// When the relationship began to hold.
        start_time: Option<Timestamp>,
        /// When it stopped holding.
        stop_time: Option<Timestamp>,
    }
}

properties! {
    /// Sighting (STIX 2.1 §5.2): the belief that something was seen.
    Sighting (SdoCommon) {
        /// More details and context.
        description: Option<String>,
        /// When it was first seen.
        first_seen: Option<Timestamp>,
        /// When it was last seen.
        last_seen: Option<Timestamp>,
        /// How many times it was seen, 0 to 999,999,999.
        count: Option<i64>,
        /// What was seen (an SDO).
        sighting_of_ref: Identifier,
        /// The observed data that back the sighting.
        observed_data_refs: Option<Vec<Identifier>>,
        /// Who or where saw it (identity or location).
        where_sighted_refs: Option<Vec<Identifier>>,
        /// Whether this is a summary.
        summary: Option<bool>,
    }
}

properties! {
    /// Language Content (STIX 2.1 §7.1): translations of another object's text.
    LanguageContent (SdoCommon) {
        /// The object the translations apply to.
        object_ref: Identifier,
        /// The `modified` of the version translated.
        object_modified: Option<Timestamp>,
        /// Language tag to property name to translated value.
        contents: Dictionary,
    }
}

properties! {
    /// Extension Definition (STIX 2.1 §7.3): the schema of a STIX extension.
    ExtensionDefinition (SdoCommon) {
        /// The extension's name.
        name: String,
        /// More details and context.
        description: Option<String>,
        /// The schema (URL or text).
        schema: String,
        /// The extension's version.
        version: String,
        /// What the extension does (enum `extension-type-enum`).
        extension_types: Vec<String>,
        /// Top-level properties it adds (for `toplevel-property-extension`).
        extension_properties: Option<Vec<String>>,
    }
}
