//! STIX Cyber-observable Objects (STIX 2.1 §6) and their predefined extensions: one struct per
//! type, with the common SCO properties flattened in and unknown properties kept in `extra`.

use crate::common::{Dictionary, Hashes, ScoCommon, properties};
use crate::{Identifier, Timestamp};

properties! {
    /// Artifact (§6.1): an array of bytes, inline or by URL.
    Artifact (ScoCommon) {
        /// IANA media type.
        mime_type: Option<String>,
        /// The bytes, base64-encoded (exclusive with `url`).
        payload_bin: Option<String>,
        /// Where the bytes can be fetched (requires `hashes`).
        url: Option<String>,
        /// Hashes of the content.
        hashes: Option<Hashes>,
        /// The encryption algorithm (open vocabulary `encryption-algorithm-enum`).
        encryption_algorithm: Option<String>,
        /// The key to decrypt the content.
        decryption_key: Option<String>,
    }
}

properties! {
    /// Autonomous System (§6.2).
    AutonomousSystem (ScoCommon) {
        /// The AS number.
        number: i64,
        /// The AS name.
        name: Option<String>,
        /// The Regional Internet Registry that assigned it.
        rir: Option<String>,
    }
}

properties! {
    /// Directory (§6.3).
    Directory (ScoCommon) {
        /// The path, as observed.
        path: String,
        /// The path's character encoding.
        path_enc: Option<String>,
        /// Creation time.
        ctime: Option<Timestamp>,
        /// Modification time.
        mtime: Option<Timestamp>,
        /// Access time.
        atime: Option<Timestamp>,
        /// Contained files and directories.
        contains_refs: Option<Vec<Identifier>>,
    }
}

properties! {
    /// Domain Name (§6.4).
    DomainName (ScoCommon) {
        /// The domain name.
        value: String,
        /// What it resolves to (ipv4-addr, ipv6-addr, domain-name).
        resolves_to_refs: Option<Vec<Identifier>>,
    }
}

properties! {
    /// Email Address (§6.5); personal data.
    EmailAddr (ScoCommon) {
        /// The address (addr-spec of RFC 5322).
        value: String,
        /// The display name.
        display_name: Option<String>,
        /// The user account it belongs to.
        belongs_to_ref: Option<Identifier>,
    }
}

properties! {
    /// Email Message (§6.6).
    EmailMessage (ScoCommon) {
        /// Whether the body is MIME multipart.
        is_multipart: bool,
        /// The date header.
        date: Option<Timestamp>,
        /// The Content-Type header.
        content_type: Option<String>,
        /// The From header (email-addr).
        from_ref: Option<Identifier>,
        /// The Sender header (email-addr).
        sender_ref: Option<Identifier>,
        /// The To header (email-addr).
        to_refs: Option<Vec<Identifier>>,
        /// The CC header (email-addr).
        cc_refs: Option<Vec<Identifier>>,
        /// The BCC header (email-addr).
        bcc_refs: Option<Vec<Identifier>>,
        /// The Message-ID header.
        message_id: Option<String>,
        /// The Subject header.
        subject: Option<String>,
        /// The Received headers.
        received_lines: Option<Vec<String>>,
        /// Other headers.
        additional_header_fields: Option<Dictionary>,
        /// The body (when not multipart).
        body: Option<String>,
        /// The MIME parts (when multipart).
        body_multipart: Option<Vec<EmailMimeComponent>>,
        /// The raw message (artifact).
        raw_email_ref: Option<Identifier>,
    }
}

properties! {
    /// A MIME part of an email message (§6.6.2).
    EmailMimeComponent {
        /// The part's body, as text.
        body: Option<String>,
        /// The part's body as an artifact or file.
        body_raw_ref: Option<Identifier>,
        /// The Content-Type header.
        content_type: Option<String>,
        /// The Content-Disposition header.
        content_disposition: Option<String>,
    }
}

properties! {
    /// File (§6.7).
    File (ScoCommon) {
        /// Hashes of the content.
        hashes: Option<Hashes>,
        /// Size in bytes.
        size: Option<i64>,
        /// The file name.
        name: Option<String>,
        /// The name's character encoding.
        name_enc: Option<String>,
        /// The magic number, hex.
        magic_number_hex: Option<String>,
        /// IANA media type.
        mime_type: Option<String>,
        /// Creation time.
        ctime: Option<Timestamp>,
        /// Modification time.
        mtime: Option<Timestamp>,
        /// Access time.
        atime: Option<Timestamp>,
        /// The parent directory.
        parent_directory_ref: Option<Identifier>,
        /// Contained objects.
        contains_refs: Option<Vec<Identifier>>,
        /// The content (artifact).
        content_ref: Option<Identifier>,
    }
}

properties! {
    /// The `archive-ext` file extension (§6.7.2).
    ArchiveExt {
        /// The files and directories in the archive.
        contains_refs: Vec<Identifier>,
        /// The archive's comment.
        comment: Option<String>,
    }
}

properties! {
    /// The `ntfs-ext` file extension (§6.7.3).
    NtfsExt {
        /// The security ID.
        sid: Option<String>,
        /// Alternate data streams.
        alternate_data_streams: Option<Vec<AlternateDataStream>>,
    }
}

properties! {
    /// An NTFS alternate data stream (§6.7.3.2).
    AlternateDataStream {
        /// The stream's name.
        name: String,
        /// Hashes of the stream.
        hashes: Option<Hashes>,
        /// Size in bytes.
        size: Option<i64>,
    }
}

properties! {
    /// The `pdf-ext` file extension (§6.7.4).
    PdfExt {
        /// PDF version.
        version: Option<String>,
        /// Whether the PDF is optimised.
        is_optimized: Option<bool>,
        /// The document information dictionary.
        document_info_dict: Option<Dictionary>,
        /// The first file identifier.
        pdfid0: Option<String>,
        /// The second file identifier.
        pdfid1: Option<String>,
    }
}

properties! {
    /// The `raster-image-ext` file extension (§6.7.5).
    RasterImageExt {
        /// Height in pixels.
        image_height: Option<i64>,
        /// Width in pixels.
        image_width: Option<i64>,
        /// Bits per pixel.
        bits_per_pixel: Option<i64>,
        /// EXIF tags.
        exif_tags: Option<Dictionary>,
    }
}

properties! {
    /// The `windows-pebinary-ext` file extension (§6.7.6).
    WindowsPeBinaryExt {
        /// The PE type (open vocabulary `windows-pebinary-type-ov`).
        pe_type: String,
        /// The import hash.
        imphash: Option<String>,
        /// Machine type, hex.
        machine_hex: Option<String>,
        /// Number of sections.
        number_of_sections: Option<i64>,
        /// Link time.
        time_date_stamp: Option<Timestamp>,
        /// Symbol table offset, hex.
        pointer_to_symbol_table_hex: Option<String>,
        /// Number of symbols.
        number_of_symbols: Option<i64>,
        /// Size of the optional header.
        size_of_optional_header: Option<i64>,
        /// Characteristics flags, hex.
        characteristics_hex: Option<String>,
        /// Hashes of the file header.
        file_header_hashes: Option<Hashes>,
        /// The optional header.
        optional_header: Option<WindowsPeOptionalHeader>,
        /// The sections.
        sections: Option<Vec<WindowsPeSection>>,
    }
}

properties! {
    /// The PE optional header (§6.7.6.2).
    WindowsPeOptionalHeader {
        /// Magic, hex.
        magic_hex: Option<String>,
        /// Linker major version.
        major_linker_version: Option<i64>,
        /// Linker minor version.
        minor_linker_version: Option<i64>,
        /// Size of code.
        size_of_code: Option<i64>,
        /// Size of initialised data.
        size_of_initialized_data: Option<i64>,
        /// Size of uninitialised data.
        size_of_uninitialized_data: Option<i64>,
        /// Entry point address.
        address_of_entry_point: Option<i64>,
        /// Base of code.
        base_of_code: Option<i64>,
        /// Base of data.
        base_of_data: Option<i64>,
        /// Image base.
        image_base: Option<i64>,
        /// Section alignment.
        section_alignment: Option<i64>,
        /// File alignment.
        file_alignment: Option<i64>,
        /// OS major version.
        major_os_version: Option<i64>,
        /// OS minor version.
        minor_os_version: Option<i64>,
        /// Image major version.
        major_image_version: Option<i64>,
        /// Image minor version.
        minor_image_version: Option<i64>,
        /// Subsystem major version.
        major_subsystem_version: Option<i64>,
        /// Subsystem minor version.
        minor_subsystem_version: Option<i64>,
        /// Win32 version value, hex.
        win32_version_value_hex: Option<String>,
        /// Size of image.
        size_of_image: Option<i64>,
        /// Size of headers.
        size_of_headers: Option<i64>,
        /// Checksum, hex.
        checksum_hex: Option<String>,
        /// Subsystem, hex.
        subsystem_hex: Option<String>,
        /// DLL characteristics, hex.
        dll_characteristics_hex: Option<String>,
        /// Stack reserve size.
        size_of_stack_reserve: Option<i64>,
        /// Stack commit size.
        size_of_stack_commit: Option<i64>,
        /// Heap reserve size.
        size_of_heap_reserve: Option<i64>,
        /// Heap commit size.
        size_of_heap_commit: Option<i64>,
        /// Loader flags, hex.
        loader_flags_hex: Option<String>,
        /// Number of RVA and sizes.
        number_of_rva_and_sizes: Option<i64>,
        /// Hashes of the optional header.
        hashes: Option<Hashes>,
    }
}

properties! {
    /// A PE section (§6.7.6.3).
    WindowsPeSection {
        /// The section name.
        name: String,
        /// Size in bytes.
        size: Option<i64>,
        /// Entropy (Shannon), 0.0 to 8.0.
        entropy: Option<f64>,
        /// Hashes of the section.
        hashes: Option<Hashes>,
    }
}

properties! {
    /// IPv4 Address (§6.8): an address or CIDR block.
    Ipv4Addr (ScoCommon) {
        /// The address or CIDR.
        value: String,
        /// MAC addresses it resolves to.
        resolves_to_refs: Option<Vec<Identifier>>,
        /// Autonomous systems it belongs to.
        belongs_to_refs: Option<Vec<Identifier>>,
    }
}

properties! {
    /// IPv6 Address (§6.9): an address or CIDR block.
    Ipv6Addr (ScoCommon) {
        /// The address or CIDR.
        value: String,
        /// MAC addresses it resolves to.
        resolves_to_refs: Option<Vec<Identifier>>,
        /// Autonomous systems it belongs to.
        belongs_to_refs: Option<Vec<Identifier>>,
    }
}

properties! {
    /// MAC Address (§6.10).
    MacAddr (ScoCommon) {
        /// The address, lower-case colon-delimited.
        value: String,
    }
}

properties! {
    /// Mutex (§6.11).
    Mutex (ScoCommon) {
        /// The mutex name.
        name: String,
    }
}

properties! {
    /// Network Traffic (§6.12).
    NetworkTraffic (ScoCommon) {
        /// When the traffic started.
        start: Option<Timestamp>,
        /// When it ended.
        end: Option<Timestamp>,
        /// Whether it is ongoing.
        is_active: Option<bool>,
        /// Source (ipv4-addr, ipv6-addr, mac-addr, domain-name).
        src_ref: Option<Identifier>,
        /// Destination (ipv4-addr, ipv6-addr, mac-addr, domain-name).
        dst_ref: Option<Identifier>,
        /// Source port, 0-65535.
        src_port: Option<i64>,
        /// Destination port, 0-65535.
        dst_port: Option<i64>,
        /// Protocols, outermost first.
        protocols: Vec<String>,
        /// Bytes sent by the source.
        src_byte_count: Option<i64>,
        /// Bytes sent by the destination.
        dst_byte_count: Option<i64>,
        /// Packets sent by the source.
        src_packets: Option<i64>,
        /// Packets sent by the destination.
        dst_packets: Option<i64>,
        /// IPFIX data.
        ipfix: Option<Dictionary>,
        /// Source payload (artifact).
        src_payload_ref: Option<Identifier>,
        /// Destination payload (artifact).
        dst_payload_ref: Option<Identifier>,
        /// Encapsulated traffic.
        encapsulates_refs: Option<Vec<Identifier>>,
        /// Encapsulating traffic.
        encapsulated_by_ref: Option<Identifier>,
    }
}

properties! {
    /// The `http-request-ext` network-traffic extension (§6.12.2).
    HttpRequestExt {
        /// The method, e.g. `get`.
        request_method: String,
        /// The request target.
        request_value: String,
        /// The HTTP version.
        request_version: Option<String>,
        /// Request headers.
        request_header: Option<Dictionary>,
        /// Body length.
        message_body_length: Option<i64>,
        /// The body (artifact).
        message_body_data_ref: Option<Identifier>,
    }
}

properties! {
    /// The `icmp-ext` network-traffic extension (§6.12.3).
    IcmpExt {
        /// ICMP type, hex.
        icmp_type_hex: String,
        /// ICMP code, hex.
        icmp_code_hex: String,
    }
}

properties! {
    /// The `socket-ext` network-traffic extension (§6.12.4).
    SocketExt {
        /// Address family (enum `network-socket-address-family-enum`).
        address_family: String,
        /// Blocking mode.
        is_blocking: Option<bool>,
        /// Listening mode.
        is_listening: Option<bool>,
        /// Socket options.
        options: Option<Dictionary>,
        /// Socket type (enum `network-socket-type-enum`).
        socket_type: Option<String>,
        /// File descriptor.
        socket_descriptor: Option<i64>,
        /// Handle.
        socket_handle: Option<i64>,
    }
}

properties! {
    /// The `tcp-ext` network-traffic extension (§6.12.5).
    TcpExt {
        /// Source flags, hex.
        src_flags_hex: Option<String>,
        /// Destination flags, hex.
        dst_flags_hex: Option<String>,
    }
}

properties! {
    /// Process (§6.13).
    Process (ScoCommon) {
        /// Whether the process is hidden.
        is_hidden: Option<bool>,
        /// The process id.
        pid: Option<i64>,
        /// Creation time.
        created_time: Option<Timestamp>,
        /// Working directory.
        cwd: Option<String>,
        /// Full command line.
        command_line: Option<String>,
        /// Environment variables.
        environment_variables: Option<Dictionary>,
        /// Network connections opened.
        opened_connection_refs: Option<Vec<Identifier>>,
        /// The creating user (user-account).
        creator_user_ref: Option<Identifier>,
        /// The executable (file).
        image_ref: Option<Identifier>,
        /// The parent process.
        parent_ref: Option<Identifier>,
        /// Child processes.
        child_refs: Option<Vec<Identifier>>,
    }
}

properties! {
    /// The `windows-process-ext` process extension (§6.13.2).
    WindowsProcessExt {
        /// Address space layout randomisation.
        aslr_enabled: Option<bool>,
        /// Data execution prevention.
        dep_enabled: Option<bool>,
        /// Priority class.
        priority: Option<String>,
        /// Owner SID.
        owner_sid: Option<String>,
        /// Window title.
        window_title: Option<String>,
        /// STARTUP_INFO.
        startup_info: Option<Dictionary>,
        /// Integrity level (enum `windows-integrity-level-enum`).
        integrity_level: Option<String>,
    }
}

properties! {
    /// The `windows-service-ext` process extension (§6.13.3).
    WindowsServiceExt {
        /// The service name.
        service_name: Option<String>,
        /// Descriptions.
        descriptions: Option<Vec<String>>,
        /// Display name.
        display_name: Option<String>,
        /// Load-order group.
        group_name: Option<String>,
        /// Start type (enum `windows-service-start-type-enum`).
        start_type: Option<String>,
        /// DLLs loaded (file).
        service_dll_refs: Option<Vec<Identifier>>,
        /// Service type (enum `windows-service-type-enum`).
        service_type: Option<String>,
        /// Status (enum `windows-service-status-enum`).
        service_status: Option<String>,
    }
}

properties! {
    /// Software (§6.14).
    Software (ScoCommon) {
        /// The software's name.
        name: String,
        /// CPE 2.3 entry.
        cpe: Option<String>,
        /// SWID tag.
        swid: Option<String>,
        /// Supported languages (ISO 639-2).
        languages: Option<Vec<String>>,
        /// Vendor.
        vendor: Option<String>,
        /// Version.
        version: Option<String>,
    }
}

properties! {
    /// URL (§6.15).
    Url (ScoCommon) {
        /// The URL (RFC 3986).
        value: String,
    }
}

properties! {
    /// User Account (§6.16); personal data.
    UserAccount (ScoCommon) {
        /// The account's identifier.
        user_id: Option<String>,
        /// A cleartext credential.
        credential: Option<String>,
        /// The login name.
        account_login: Option<String>,
        /// Account type (open vocabulary `account-type-ov`).
        account_type: Option<String>,
        /// Display name.
        display_name: Option<String>,
        /// Service account.
        is_service_account: Option<bool>,
        /// Privileged.
        is_privileged: Option<bool>,
        /// Can escalate privileges.
        can_escalate_privs: Option<bool>,
        /// Disabled.
        is_disabled: Option<bool>,
        /// Creation time.
        account_created: Option<Timestamp>,
        /// Expiry time.
        account_expires: Option<Timestamp>,
        /// When the credential last changed.
        credential_last_changed: Option<Timestamp>,
        /// First login.
        account_first_login: Option<Timestamp>,
        /// Last login.
        account_last_login: Option<Timestamp>,
    }
}

properties! {
    /// The `unix-account-ext` user-account extension (§6.16.2).
    UnixAccountExt {
        /// Primary group id.
        gid: Option<i64>,
        /// Group names.
        groups: Option<Vec<String>>,
        /// Home directory.
        home_dir: Option<String>,
        /// Login shell.
        shell: Option<String>,
    }
}

properties! {
    /// Windows Registry Key (§6.17).
    WindowsRegistryKey (ScoCommon) {
        /// The full key path.
        key: Option<String>,
        /// The values.
        values: Option<Vec<WindowsRegistryValue>>,
        /// Last modification time.
        modified_time: Option<Timestamp>,
        /// The creating user (user-account).
        creator_user_ref: Option<Identifier>,
        /// Number of subkeys.
        number_of_subkeys: Option<i64>,
    }
}

properties! {
    /// A registry value (§6.17.2).
    WindowsRegistryValue {
        /// The value's name.
        name: Option<String>,
        /// The data.
        data: Option<String>,
        /// The data type (enum `windows-registry-datatype-enum`).
        data_type: Option<String>,
    }
}

properties! {
    /// X.509 Certificate (§6.18).
    X509Certificate (ScoCommon) {
        /// Self-signed.
        is_self_signed: Option<bool>,
        /// Hashes of the certificate.
        hashes: Option<Hashes>,
        /// Version.
        version: Option<String>,
        /// Serial number.
        serial_number: Option<String>,
        /// Signature algorithm.
        signature_algorithm: Option<String>,
        /// Issuer DN.
        issuer: Option<String>,
        /// Start of validity.
        validity_not_before: Option<Timestamp>,
        /// End of validity.
        validity_not_after: Option<Timestamp>,
        /// Subject DN.
        subject: Option<String>,
        /// Public key algorithm.
        subject_public_key_algorithm: Option<String>,
        /// RSA modulus.
        subject_public_key_modulus: Option<String>,
        /// RSA exponent.
        subject_public_key_exponent: Option<i64>,
        /// X.509 v3 extensions.
        x509_v3_extensions: Option<X509V3Extensions>,
    }
}

properties! {
    /// X.509 v3 extensions (§6.18.2).
    X509V3Extensions {
        /// Basic constraints.
        basic_constraints: Option<String>,
        /// Name constraints.
        name_constraints: Option<String>,
        /// Policy constraints.
        policy_constraints: Option<String>,
        /// Key usage.
        key_usage: Option<String>,
        /// Extended key usage.
        extended_key_usage: Option<String>,
        /// Subject key identifier.
        subject_key_identifier: Option<String>,
        /// Authority key identifier.
        authority_key_identifier: Option<String>,
        /// Subject alternative name.
        subject_alternative_name: Option<String>,
        /// Issuer alternative name.
        issuer_alternative_name: Option<String>,
        /// Subject directory attributes.
        subject_directory_attributes: Option<String>,
        /// CRL distribution points.
        crl_distribution_points: Option<String>,
        /// Inhibit any policy.
        inhibit_any_policy: Option<String>,
        /// Private key usage period start.
        private_key_usage_period_not_before: Option<Timestamp>,
        /// Private key usage period end.
        private_key_usage_period_not_after: Option<Timestamp>,
        /// Certificate policies.
        certificate_policies: Option<String>,
        /// Policy mappings.
        policy_mappings: Option<String>,
    }
}
