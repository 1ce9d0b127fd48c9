#!/usr/bin/env python3
"""Generate a deterministic corpus of STIX 2.1 objects for differential testing.

Writes one JSON array to stdout: roughly half valid objects of every STIX 2.1 type (SDOs,
SCOs with their predefined extensions, SROs, language-content, marking-definitions,
extension-definitions, custom objects, small bundles), half copies with one mutation that
makes them invalid (dropped required property, wrong JSON type, malformed or imprecise
timestamp, bad id, out-of-range integer, value outside a closed vocabulary, reference to the
wrong object type, created > modified and similar ordering pairs, empty list, bad pattern,
bad granular-marking selector, bad extension, ...).

By default every mutation is one on which the STIX 2.1 specification and the OASIS reference
validator agree. --with-reference-bugs adds mutations the reference wrongly accepts
(docs/design/stix-reference-validator.md section 9). --explain FILE writes one JSON line per
element: {"index", "expect_valid", "type", "mutation", "reference_bug"}.

Standard library only. Same --seed and --count give byte-identical output.

Usage: scripts/stix-corpus.py [--seed N] [--count N] [--explain FILE] [--with-reference-bugs]
"""

import argparse
import copy
import json
import random
import sys
import uuid

SCO_NAMESPACE = uuid.UUID("00abedb4-aa42-466c-9c01-fed23315a9b7")
TLP1 = [
    ("613f2e26-407d-48c7-9eca-b8e91df99dc9", "white"),
    ("34098fce-860f-48ae-8e50-ebd3cc5e41da", "green"),
    ("f88d31f6-486f-44da-b317-01333bde0b82", "amber"),
    ("5e57c739-391a-4eb3-b6be-7d15ca92d5ed", "red"),
]
TLP2_EXT = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
TLP2 = [
    ("94868c89-83c2-464b-929b-a1a8aa3c8487", "clear"),
    ("bab4a63c-aed9-4cf5-a766-dfca5abac2bb", "green"),
    ("55d920b0-5e8b-4f79-9ee9-91f868d9b421", "amber"),
    ("939a9414-2ddd-4d32-a0cd-375ea402b003", "amber+strict"),
    ("e828b379-4e03-4974-9ac4-e53a884c97c1", "red"),
]
MARKING_IDS = ["marking-definition--" + u for u, _ in TLP1 + TLP2]

SDO_TYPES = [
    "attack-pattern", "campaign", "course-of-action", "grouping", "identity", "incident",
    "indicator", "infrastructure", "intrusion-set", "location", "malware", "malware-analysis",
    "note", "observed-data", "opinion", "report", "threat-actor", "tool", "vulnerability",
]
SCO_TYPES = [
    "artifact", "autonomous-system", "directory", "domain-name", "email-addr", "email-message",
    "file", "ipv4-addr", "ipv6-addr", "mac-addr", "mutex", "network-traffic", "process",
    "software", "url", "user-account", "windows-registry-key", "x509-certificate",
]
OTHER_TYPES = [
    "relationship", "sighting", "language-content", "marking-definition",
    "extension-definition", "x-custom", "bundle",
]

# ID contributing properties (STIX 2.1 section 6, per SCO); process has none -> UUIDv4.
ID_PROPS = {
    "artifact": ["hashes", "payload_bin"], "autonomous-system": ["number"],
    "directory": ["path"], "domain-name": ["value"], "email-addr": ["value"],
    "email-message": ["from_ref", "subject", "body"],
    "file": ["hashes", "name", "parent_directory_ref", "extensions"],
    "ipv4-addr": ["value"], "ipv6-addr": ["value"], "mac-addr": ["value"], "mutex": ["name"],
    "network-traffic": ["start", "end", "src_ref", "dst_ref", "src_port", "dst_port",
                        "protocols", "extensions"],
    "software": ["name", "cpe", "swid", "vendor", "version"], "url": ["value"],
    "user-account": ["account_type", "user_id", "account_login"],
    "windows-registry-key": ["key", "values"], "x509-certificate": ["hashes", "serial_number"],
}

WORDS = ["kestrel", "falcon", "ember", "quartz", "lantern", "harbor", "cinder", "willow", "onyx",
         "marble", "sparrow", "tundra", "cobalt", "juniper", "nimbus", "raven", "saffron", "vortex",
         "aurora", "basalt", "cypress", "delta", "ferro", "garnet", "helix", "indigo", "jade"]
TLDS = ["com", "net", "org", "info", "biz", "ru", "cn", "io", "xyz", "top", "example"]
LANGS = ["en", "de", "fr", "es", "it", "ja", "pt", "nl", "ru", "zh"]
MALWARE_TYPES = ["bot", "backdoor", "ransomware", "remote-access-trojan", "dropper", "downloader",
                 "keylogger", "spyware", "worm", "wiper", "webshell"]
KILL_CHAINS = [("lockheed-martin-cyber-kill-chain", ["reconnaissance", "weaponization", "delivery",
                                                      "exploitation", "installation",
                                                      "command-and-control", "actions-on-objectives"]),
               ("mitre-attack", ["initial-access", "execution", "persistence", "privilege-escalation",
                                 "defense-evasion", "credential-access", "discovery",
                                 "lateral-movement", "collection", "exfiltration", "impact"])]


class Gen:
    def __init__(self, rng):
        self.r = rng
        self.pool = {}  # type -> list of ids generated so far (for type-correct references)

    # ------------------------------------------------------------------ primitives
    def uuid4(self):
        return str(uuid.UUID(int=self.r.getrandbits(128), version=4))

    def sdo_id(self, t):
        i = f"{t}--{self.uuid4()}"
        self.pool.setdefault(t, []).append(i)
        return i

    def ref(self, t):
        ids = self.pool.get(t)
        if ids and self.r.random() < 0.7:
            return self.r.choice(ids)
        return f"{t}--{self.uuid4()}"

    def word(self):
        return self.r.choice(WORDS)

    def name(self, n=2):
        return " ".join(self.word().capitalize() for _ in range(n))

    def hexs(self, n):
        return "".join(self.r.choice("0123456789abcdef") for _ in range(n))

    def ts(self, precision=None, lo=1420070400, hi=1735689600):
        """Random timestamp; precision = number of fractional digits (None: random)."""
        sec = self.r.randint(lo, hi)
        return self.fmt(sec, self.r.randint(0, 999999), precision)

    def fmt(self, sec, micros, precision=None):
        import datetime
        if precision is None:
            precision = self.r.choice([0, 0, 1, 3, 3, 6])
        d = datetime.datetime.fromtimestamp(sec, datetime.timezone.utc)
        s = d.strftime("%Y-%m-%dT%H:%M:%S")
        if precision:
            s += "." + f"{micros:06d}"[:precision].ljust(precision, "0")
        return s + "Z"

    def ts_pair(self, p1=None, p2=None, strict=False):
        a = self.r.randint(1420070400, 1700000000)
        b = a + self.r.randint(1 if strict else 0, 90 * 86400)
        ma, mb = self.r.randint(0, 999999), self.r.randint(0, 999999)
        if p1 is None:
            p1 = self.r.choice([0, 0, 1, 3, 3, 6])
        if p2 is None:
            p2 = self.r.choice([0, 0, 1, 3, 3, 6])
        if a == b:  # same second: same sub-second value and precision keeps a <= b
            mb, p2 = ma, p1
        return self.fmt(a, ma, p1), self.fmt(b, mb, p2)

    def ipv4(self):
        return ".".join(str(self.r.randint(1, 254)) for _ in range(4))

    def ipv6(self):
        return "2001:db8:" + ":".join(f"{self.r.randint(0, 65535):x}" for _ in range(6))

    def domain(self):
        return f"{self.word()}-{self.word()}.{self.r.choice(TLDS)}"

    def hashes(self):
        h = {}
        for alg, n in self.r.sample([("MD5", 32), ("SHA-1", 40), ("SHA-256", 64), ("SHA-512", 128)],
                                    self.r.randint(1, 2)):
            h[alg] = self.hexs(n)
        return h

    def kcp(self):
        chain, phases = self.r.choice(KILL_CHAINS)
        return [{"kill_chain_name": chain, "phase_name": self.r.choice(phases)}]

    def sco_id(self, obj):
        t = obj["type"]
        props = {}
        for k in ID_PROPS.get(t, []):
            if k in obj:
                v = obj[k]
                if k == "hashes":
                    for alg in ("MD5", "SHA-1", "SHA-256", "SHA-512"):
                        if alg in v:
                            v = {alg: v[alg]}
                            break
                    else:
                        first = next(iter(v))
                        v = {first: v[first]}
                props[k] = v
        if props:
            data = json.dumps(props, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
            i = f"{t}--{uuid.uuid5(SCO_NAMESPACE, data)}"
        else:
            i = f"{t}--{self.uuid4()}"
        self.pool.setdefault(t, []).append(i)
        return i

    # ------------------------------------------------------------------ common
    def sdo(self, t, **props):
        created, modified = self.ts_pair(self.r.choice([3, 3, 6]), self.r.choice([3, 6]))
        o = {"type": t, "spec_version": "2.1", "id": self.sdo_id(t), "created": created,
             "modified": modified}
        r = self.r
        if r.random() < 0.6:
            o["created_by_ref"] = self.ref("identity")
        if r.random() < 0.3:
            o["confidence"] = r.randint(0, 100)
        if r.random() < 0.3:
            o["labels"] = r.sample(["botnet", "c2", "phishing", "apt", "crimeware", "tlp-reviewed"],
                                   r.randint(1, 2))
        if r.random() < 0.15:
            o["lang"] = r.choice(LANGS)
        if r.random() < 0.4:
            o["object_marking_refs"] = [r.choice(MARKING_IDS)]
        if r.random() < 0.2:
            o["external_references"] = [{"source_name": "vendor-blog",
                                         "url": f"https://{self.domain()}/{self.word()}",
                                         "description": "Vendor write-up"}]
        if r.random() < 0.1:
            o["revoked"] = False
        if r.random() < 0.2:
            o["x_meridian_" + self.word()] = r.choice([self.name(), r.randint(1, 9), True])
        o.update(props)
        return o

    def sco(self, t, **props):
        o = {"type": t, "spec_version": "2.1"}
        o.update(props)
        if self.r.random() < 0.15:
            o["object_marking_refs"] = [self.r.choice(MARKING_IDS)]
        if self.r.random() < 0.1:
            o["defanged"] = self.r.random() < 0.5
        if t == "process":
            o["id"] = f"process--{self.uuid4()}"
            self.pool.setdefault(t, []).append(o["id"])
        else:
            o["id"] = self.sco_id(o)
        o = {"type": o.pop("type"), "spec_version": o.pop("spec_version"), "id": o.pop("id"), **o}
        return o

    # ------------------------------------------------------------------ SDOs
    def attack_pattern(self):
        return self.sdo("attack-pattern", name=self.r.choice(["Spearphishing Attachment",
                                                              "Exploit Public-Facing Application",
                                                              "Valid Accounts", "DLL Side-Loading"]),
                        kill_chain_phases=self.kcp(),
                        external_references=[{"source_name": "capec",
                                              "external_id": f"CAPEC-{self.r.randint(1, 700)}"}])

    def campaign(self):
        fs, ls = self.ts_pair()
        return self.sdo("campaign", name=f"Operation {self.name(1)}", first_seen=fs, last_seen=ls,
                        aliases=[self.name()], objective="Steal credentials from finance staff")

    def course_of_action(self):
        return self.sdo("course-of-action", name=f"Block {self.domain()}",
                        description="Block the domain at the resolver and proxy.")

    def grouping(self):
        return self.sdo("grouping", context=self.r.choice(["suspicious-activity", "malware-analysis",
                                                           "unspecified"]),
                        name=f"Triage {self.word()}",
                        object_refs=[self.ref("indicator"), self.ref("ipv4-addr")])

    def identity(self):
        return self.sdo("identity", name=f"{self.name()} CERT",
                        identity_class=self.r.choice(["organization", "individual", "group", "system"]),
                        sectors=[self.r.choice(["financial-services", "government-national", "energy",
                                                "healthcare", "manufacturing"])],
                        contact_information=f"cti@{self.domain()}")

    def incident(self):
        return self.sdo("incident", name=f"INC-{self.r.randint(2015, 2025)}-{self.r.randint(1, 999):03d}",
                        description="Workstation beaconing to known C2.")

    def indicator(self):
        vf, vu = self.ts_pair(strict=True)
        kind = self.r.random()
        if kind < 0.5:
            pattern = f"[ipv4-addr:value = '{self.ipv4()}']"
        elif kind < 0.75:
            pattern = f"[domain-name:value = '{self.domain()}'] OR [url:value = 'https://{self.domain()}/gate.php']"
        else:
            pattern = f"[file:hashes.'SHA-256' = '{self.hexs(64)}'] AND [file:name = '{self.word()}.exe']"
        o = self.sdo("indicator", name=f"{self.name(1)} C2", indicator_types=["malicious-activity"],
                     pattern=pattern, pattern_type="stix", valid_from=vf)
        if self.r.random() < 0.5:
            o["valid_until"] = vu
        if self.r.random() < 0.3:
            o["pattern_version"] = "2.1"
        if self.r.random() < 0.3:
            o["kill_chain_phases"] = self.kcp()
        if self.r.random() < 0.1:
            o["pattern_type"] = "yara"
            o["pattern"] = "rule x { strings: $a = \"" + self.word() + "\" condition: $a }"
        return o

    def infrastructure(self):
        fs, ls = self.ts_pair()
        return self.sdo("infrastructure", name=f"{self.name(1)} C2 server",
                        infrastructure_types=[self.r.choice(["command-and-control", "botnet", "staging"])],
                        first_seen=fs, last_seen=ls)

    def intrusion_set(self):
        fs, ls = self.ts_pair()
        return self.sdo("intrusion-set", name=f"{self.name(1)} Team", aliases=[f"TA-{self.r.randint(100, 999)}"],
                        first_seen=fs, last_seen=ls, resource_level="organization",
                        primary_motivation="organizational-gain", goals=["access brokerage"])

    def location(self):
        if self.r.random() < 0.5:
            return self.sdo("location", name=self.name(1), country=self.r.choice(["DE", "FR", "US", "JP"]),
                            region=self.r.choice(["europe", "northern-america", "eastern-asia"]))
        return self.sdo("location", latitude=round(self.r.uniform(-90, 90), 4),
                        longitude=round(self.r.uniform(-180, 180), 4), precision=1000.0)

    def malware(self):
        fs, ls = self.ts_pair()
        fam = self.r.random() < 0.8
        o = self.sdo("malware", is_family=fam, malware_types=[self.r.choice(MALWARE_TYPES)],
                     first_seen=fs, last_seen=ls, operating_system_refs=[self.ref("software")],
                     capabilities=["communicates-with-c2"])
        if fam or self.r.random() < 0.5:
            o["name"] = f"{self.name(1)}Bot"
        if self.r.random() < 0.3:
            o["kill_chain_phases"] = self.kcp()
        return o

    def malware_analysis(self):
        s, e = self.ts_pair()
        return self.sdo("malware-analysis", product=self.r.choice(["cuckoo", "cape", "virustotal"]),
                        result=self.r.choice(["malicious", "suspicious", "benign", "unknown"]),
                        analysis_started=s, analysis_ended=e, sample_ref=self.ref("file"),
                        host_vm_ref=self.ref("software"),
                        analysis_sco_refs=[self.ref("ipv4-addr"), self.ref("domain-name")])

    def note(self):
        return self.sdo("note", content=f"Seen in {self.r.randint(2, 900)} sinkhole hits.",
                        authors=[self.name()], object_refs=[self.ref("indicator")])

    def observed_data(self):
        f, l = self.ts_pair()
        return self.sdo("observed-data", first_observed=f, last_observed=l,
                        number_observed=self.r.randint(1, 5000),
                        object_refs=[self.ref("ipv4-addr"), self.ref("network-traffic")])

    def opinion(self):
        return self.sdo("opinion", opinion=self.r.choice(["strongly-disagree", "disagree", "neutral",
                                                          "agree", "strongly-agree"]),
                        object_refs=[self.ref("indicator")], explanation="Matches our telemetry.")

    def report(self):
        return self.sdo("report", name=f"{self.name(1)} botnet report", report_types=["threat-report"],
                        published=self.ts(), object_refs=[self.ref("malware"), self.ref("indicator")])

    def threat_actor(self):
        fs, ls = self.ts_pair()
        return self.sdo("threat-actor", name=f"{self.name(1)} Spider", threat_actor_types=["crime-syndicate"],
                        first_seen=fs, last_seen=ls, sophistication="intermediate",
                        roles=["infrastructure-operator"])

    def tool(self):
        return self.sdo("tool", name=self.r.choice(["rclone", "mimikatz", "psexec", "cobalt strike"]),
                        tool_types=["remote-access"], kill_chain_phases=self.kcp())

    def vulnerability(self):
        cve = f"CVE-{self.r.randint(2015, 2025)}-{self.r.randint(1000, 49999)}"
        return self.sdo("vulnerability", name=cve,
                        external_references=[{"source_name": "cve", "external_id": cve}])

    # ------------------------------------------------------------------ SCOs
    def artifact(self):
        if self.r.random() < 0.5:
            return self.sco("artifact", mime_type="application/zip", payload_bin="UEsDBBQAAAAIAA==")
        return self.sco("artifact", url=f"https://{self.domain()}/{self.word()}.bin",
                        hashes={"SHA-256": self.hexs(64)})

    def autonomous_system(self):
        return self.sco("autonomous-system", number=self.r.randint(1, 4200000000), name=f"{self.word().upper()}-AS")

    def directory(self):
        return self.sco("directory", path=f"C:\\Users\\Public\\{self.word()}", ctime=self.ts())

    def domain_name(self):
        return self.sco("domain-name", value=self.domain(), resolves_to_refs=[self.ref("ipv4-addr")])

    def email_addr(self):
        return self.sco("email-addr", value=f"{self.word()}@{self.domain()}", display_name=self.name())

    def email_message(self):
        return self.sco("email-message", is_multipart=False, subject=f"Invoice {self.r.randint(1, 9999)}",
                        from_ref=self.ref("email-addr"), to_refs=[self.ref("email-addr")],
                        date=self.ts(), body="Please see the attached invoice.")

    def file(self):
        o = {"name": f"{self.word()}.exe", "hashes": self.hashes(), "size": self.r.randint(0, 10 ** 7)}
        k = self.r.random()
        if k < 0.15:
            o["extensions"] = {"windows-pebinary-ext": {"pe_type": "exe", "number_of_sections": self.r.randint(1, 9),
                                                        "time_date_stamp": self.ts(0), "machine_hex": "014c"}}
        elif k < 0.25:
            o["extensions"] = {"archive-ext": {"contains_refs": [self.ref("file")]}}
        elif k < 0.3:
            o["extensions"] = {"ntfs-ext": {"sid": "S-1-5-21-1004336348-1177238915-682003330-512"}}
        elif k < 0.35:
            o["extensions"] = {"pdf-ext": {"version": "1.7", "pdfid0": self.hexs(32).upper()}}
        elif k < 0.4:
            o["extensions"] = {"raster-image-ext": {"image_height": 600, "image_width": 800}}
        return self.sco("file", **o)

    def ipv4_addr(self):
        return self.sco("ipv4-addr", value=self.ipv4())

    def ipv6_addr(self):
        return self.sco("ipv6-addr", value=self.ipv6())

    def mac_addr(self):
        return self.sco("mac-addr", value=":".join(self.hexs(2) for _ in range(6)))

    def mutex(self):
        return self.sco("mutex", name=f"Global\\{self.word()}_{self.hexs(6)}")

    def network_traffic(self):
        s, e = self.ts_pair()
        o = {"src_ref": self.ref("ipv4-addr"), "dst_ref": self.ref("ipv4-addr"),
             "src_port": self.r.randint(1024, 65535), "dst_port": self.r.choice([80, 443, 8080, 4444]),
             "protocols": ["ipv4", "tcp"], "start": s, "end": e}
        k = self.r.random()
        if k < 0.15:
            o["extensions"] = {"http-request-ext": {"request_method": "get", "request_value": "/gate.php"}}
        elif k < 0.25:
            o["extensions"] = {"tcp-ext": {"src_flags_hex": "02"}}
        elif k < 0.3:
            o["extensions"] = {"socket-ext": {"address_family": "AF_INET", "socket_type": "SOCK_STREAM"}}
        elif k < 0.35:
            o["protocols"] = ["ipv4", "icmp"]
            o["extensions"] = {"icmp-ext": {"icmp_type_hex": "08", "icmp_code_hex": "00"}}
        return self.sco("network-traffic", **o)

    def process(self):
        o = {"pid": self.r.randint(4, 65535), "command_line": f"{self.word()}.exe -k netsvcs"}
        k = self.r.random()
        if k < 0.2:
            o["extensions"] = {"windows-process-ext": {"aslr_enabled": True, "integrity_level": "medium"}}
        elif k < 0.35:
            o["extensions"] = {"windows-service-ext": {"service_name": f"{self.word()}svc",
                                                       "start_type": "SERVICE_AUTO_START",
                                                       "service_type": "SERVICE_WIN32_OWN_PROCESS",
                                                       "service_status": "SERVICE_RUNNING"}}
        return self.sco("process", **o)

    def software(self):
        return self.sco("software", name=self.r.choice(["Windows 10", "Ubuntu", "nginx", "OpenSSL"]),
                        vendor=self.name(1), version=f"{self.r.randint(1, 20)}.{self.r.randint(0, 9)}")

    def url(self):
        return self.sco("url", value=f"https://{self.domain()}/{self.word()}/{self.hexs(8)}")

    def user_account(self):
        o = {"user_id": str(self.r.randint(1000, 60000)), "account_login": self.word(),
             "account_type": "unix"}
        if self.r.random() < 0.3:
            o["extensions"] = {"unix-account-ext": {"gid": 1000, "shell": "/bin/bash"}}
        return self.sco("user-account", **o)

    def windows_registry_key(self):
        return self.sco("windows-registry-key",
                        key=f"HKEY_LOCAL_MACHINE\\SOFTWARE\\{self.name(1)}\\Run",
                        values=[{"name": self.word(), "data": f"C:\\{self.word()}.exe", "data_type": "REG_SZ"}])

    def x509_certificate(self):
        nb, na = self.ts_pair()
        return self.sco("x509-certificate", serial_number=":".join(self.hexs(2) for _ in range(8)),
                        issuer=f"CN={self.domain()}", subject=f"CN={self.domain()}",
                        validity_not_before=nb, validity_not_after=na, is_self_signed=True)

    # ------------------------------------------------------------------ others
    def relationship(self):
        src, rt, tgt = self.r.choice([("indicator", "indicates", "malware"),
                                      ("malware", "communicates-with", "ipv4-addr"),
                                      ("intrusion-set", "uses", "malware"),
                                      ("campaign", "attributed-to", "threat-actor")])
        o = self.sdo("relationship", relationship_type=rt, source_ref=self.ref(src), target_ref=self.ref(tgt))
        if self.r.random() < 0.3:
            o["start_time"], o["stop_time"] = self.ts_pair(strict=True)
        return o

    def sighting(self):
        fs, ls = self.ts_pair()
        return self.sdo("sighting", sighting_of_ref=self.ref("indicator"), first_seen=fs, last_seen=ls,
                        count=self.r.randint(0, 1000), observed_data_refs=[self.ref("observed-data")],
                        where_sighted_refs=[self.ref("identity")])

    def language_content(self):
        return self.sdo("language-content", object_ref=self.ref("report"), object_modified=self.ts(3),
                        contents={self.r.choice(["de", "fr", "es"]): {"name": self.name(), "description": self.name(4)}})

    def marking_definition(self):
        k = self.r.random()
        if k < 0.2:
            u, colour = self.r.choice(TLP1)
            return {"type": "marking-definition", "spec_version": "2.1", "id": "marking-definition--" + u,
                    "created": "2017-01-20T00:00:00.000Z", "definition_type": "tlp",
                    "name": "TLP:" + colour.upper(), "definition": {"tlp": colour}}
        if k < 0.4:
            u, level = self.r.choice(TLP2)
            return {"type": "marking-definition", "spec_version": "2.1", "id": "marking-definition--" + u,
                    "created": "2022-10-01T00:00:00.000Z", "name": "TLP:" + level.upper(),
                    "extensions": {TLP2_EXT: {"extension_type": "property-extension", "tlp_2_0": level}}}
        return {"type": "marking-definition", "spec_version": "2.1", "id": self.sdo_id("marking-definition"),
                "created_by_ref": self.ref("identity"), "created": self.ts(3),
                "definition_type": "statement",
                "definition": {"statement": f"Copyright {self.r.randint(2015, 2025)} {self.name()}"}}

    def extension_definition(self):
        types = self.r.choice([["new-sdo"], ["property-extension"], ["toplevel-property-extension"]])
        o = self.sdo("extension-definition", name=f"{self.word()} extension",
                     schema=f"https://{self.domain()}/schema.json", version="1.0.0", extension_types=types)
        o["created_by_ref"] = self.ref("identity")
        if types == ["toplevel-property-extension"]:
            o["extension_properties"] = ["x_" + self.word() + "_score"]
        return o

    def x_custom(self):
        return self.sdo("x-meridian-c2-panel", name=f"{self.word()} panel",
                        url=f"https://{self.ipv4()}:8443/admin", bot_count=self.r.randint(1, 99999),
                        extensions={"extension-definition--" + self.uuid4(): {"extension_type": "new-sdo"}})

    def bundle(self):
        makers = [self.identity, self.indicator, self.malware, self.ipv4_addr, self.relationship]
        objs = [self.r.choice(makers)() for _ in range(self.r.randint(1, 4))]
        return {"type": "bundle", "id": f"bundle--{self.uuid4()}", "objects": objs}

    def make(self, t):
        return getattr(self, t.replace("-", "_"))()


# ---------------------------------------------------------------------- mutations
def epoch(ts):
    import calendar
    import time
    return calendar.timegm(time.strptime(ts[:19], "%Y-%m-%dT%H:%M:%S"))


TS_PROPS = ["valid_from", "valid_until", "first_seen", "last_seen", "first_observed", "last_observed",
            "published", "start_time", "stop_time", "start", "end", "ctime", "date", "analysis_started",
            "analysis_ended", "object_modified", "validity_not_before", "validity_not_after"]
REQUIRED = {
    "attack-pattern": ["name"], "campaign": ["name"], "course-of-action": ["name"],
    "grouping": ["context", "object_refs"], "identity": ["name"], "incident": ["name"],
    "indicator": ["pattern", "pattern_type", "valid_from"], "infrastructure": ["name"],
    "intrusion-set": ["name"], "malware": ["is_family"], "malware-analysis": ["product"],
    "note": ["content", "object_refs"], "observed-data": ["first_observed", "last_observed", "number_observed"],
    "opinion": ["opinion", "object_refs"], "report": ["name", "published", "object_refs"],
    "threat-actor": ["name"], "tool": ["name"], "vulnerability": ["name"],
    "relationship": ["relationship_type", "source_ref", "target_ref"], "sighting": ["sighting_of_ref"],
    "language-content": ["object_ref", "contents"], "extension-definition": ["name", "schema", "version", "extension_types"],
    "autonomous-system": ["number"], "directory": ["path"], "domain-name": ["value"], "email-addr": ["value"],
    "email-message": ["is_multipart"], "ipv4-addr": ["value"], "ipv6-addr": ["value"], "mac-addr": ["value"],
    "mutex": ["name"], "network-traffic": ["protocols"], "software": ["name"], "url": ["value"],
}
ORDER_PAIRS = [("first_seen", "last_seen", False), ("first_observed", "last_observed", False),
               ("valid_from", "valid_until", True), ("start_time", "stop_time", True), ("start", "end", False)]
BAD_TIMESTAMPS = ["2024-03-04", "2024-03-04T10:00:00", "2024-03-04T10:00:00+01:00", "2024-02-30T10:00:00Z",
                  "2024-13-01T00:00:00Z", "2024-03-04T24:00:00Z", "2024-03-04 10:00:00Z", "04/03/2024 10:00",
                  "2024-03-04T10:00Z", "yesterday", "2024-03-04T10:00:00.Z"]


class Mutator:
    def __init__(self, rng, gen):
        self.r = rng
        self.g = gen

    def candidates(self, o, with_bugs):
        """List of (name, function, reference_bug) applicable to object o."""
        t = o["type"]
        known = t in SDO_TYPES or t in SCO_TYPES or t in OTHER_TYPES
        is_sdo_like = "created" in o and t != "marking-definition"
        c = []
        add = lambda name, fn, bug=None: c.append((name, fn, bug))  # noqa: E731
        if t == "bundle":
            add("bundle-inner", self.bundle_inner)
            if with_bugs:
                add("bundle-empty-objects", lambda x: x.update(objects=[]), "R16")
            return c
        for p in REQUIRED.get(t, []):
            if p in o:
                add("drop-required:" + p, lambda x, p=p: x.pop(p))
        if "spec_version" in o and t != "marking-definition":
            if is_sdo_like:
                add("drop-required:spec_version", lambda x: x.pop("spec_version"))
            if self.r.random() < 0.25:  # the reference raises on these; keep them a minority
                add("bad-spec-version", lambda x: x.update(spec_version=self.r.choice(["2", "2.1.0", "3.0"])))
        if is_sdo_like:
            add("drop-required:created", lambda x: x.pop("created"))
            add("created-no-millis", self.created_no_millis)
            add("created-after-modified", self.created_after_modified)
        add("bad-id", self.bad_id)
        for p in TS_PROPS:
            if p in o:
                add("bad-timestamp:" + p, lambda x, p=p: x.update({p: self.r.choice(BAD_TIMESTAMPS)}))
        for a, b, strict in ORDER_PAIRS:
            if a in o and b in o and t not in ("x509-certificate", "malware-analysis"):
                add(f"order:{a}>{b}", lambda x, a=a, b=b, s=strict: self.swap_order(x, a, b, s))
        for p, v in o.items():
            if isinstance(v, list) and p not in ("objects",):
                add("empty-list:" + p, lambda x, p=p: x.update({p: []}))
            if known and p in ("name", "description", "pattern", "value", "content", "relationship_type",
                                    "product", "context", "path", "subject"):
                add("wrong-type:" + p, lambda x, p=p: x.update({p: self.r.choice([42, True, ["x"], {"a": "b"}])}))
            if known and p in ("is_family", "revoked", "is_multipart", "is_self_signed", "defanged"):
                add("wrong-type:" + p, lambda x, p=p: x.update({p: self.r.choice(["true", 1, "no"])}))
            if known and p in ("labels", "object_refs", "malware_types", "protocols", "aliases"):
                add("wrong-type:" + p, lambda x, p=p: x.update({p: "single-string"}))
        ranges = {"confidence": [101, -1, 1000], "number_observed": [0, 1000000000, -3],
                  "count": [-1, 1000000000], "src_port": [65536, -1, 70000], "dst_port": [65536, -2],
                  "latitude": [90.5, -91], "longitude": [180.5, -200], "size": [-1, -4096]}
        for p, bad in ranges.items():
            if p in o:
                add("range:" + p, lambda x, p=p, bad=bad: x.update({p: self.r.choice(bad)}))
        if is_sdo_like and "confidence" not in o:
            add("range:confidence", lambda x: x.update(confidence=self.r.choice([101, -5])))
        if t != "marking-definition":  # marking-definitions escape the property rules (R10)
            add("null-property", self.null_property)
            add("bad-property-name", self.bad_property_name)
            add("reserved-property", lambda x: x.update({self.r.choice(["severity", "action", "username",
                                                                        "phone_numbers"]): "x"}))
        add("bad-granular-selector", self.bad_selector)
        if t in ("indicator",) and o.get("pattern_type") == "stix":
            add("bad-pattern", lambda x: x.update(pattern=self.r.choice([
                "[ipv4-addr:value = '1.2.3.4'", "ipv4-addr:value = '1.2.3.4'", "[ipv4-addr:value == '1.2.3.4']",
                "[file:hashes.MD5 = 'zz']", "[ipv4-addr:Value = '1.2.3.4']", "title: sigma rule"])))
        if t == "opinion":
            add("enum:opinion", lambda x: x.update(opinion=self.r.choice(["maybe", "Agree", "agree "])))
        if t == "extension-definition":
            add("enum:extension_types", lambda x: x.update(extension_types=["new-thing"]))
            if "extension_properties" not in o:
                add("extension-properties-without-toplevel", lambda x: x.update(extension_properties=["x_a"]))
        if t == "marking-definition":
            if o.get("definition_type") == "tlp":
                add("tlp1-other-content", self.tlp1_other)
            elif o.get("definition_type") == "statement":
                add("statement-missing", lambda x: x.update(definition={"text": "x"}))
                add("marking-circular", lambda x: x.update(object_marking_refs=[x["id"]]))
        if "extensions" in o:
            add("extension-bad", self.bad_extension)
        if t == "network-traffic":
            add("enum:socket-ext", lambda x: x.update(extensions={"socket-ext": {
                "address_family": self.r.choice(["AF_LOCAL", "af_inet", "INET"])}}))
            add("active-with-end", lambda x: x.update(is_active=True, end=x.get("end") or self.g.ts()))
        if t == "process":
            add("enum:windows-service-ext", lambda x: x.update(extensions={"windows-service-ext": {
                "service_name": "svc", "start_type": self.r.choice(["AUTO", "auto", "SERVICE_AUTO"])}}))
            add("process-id-not-v4", lambda x: x.update(
                id="process--" + str(uuid.uuid5(SCO_NAMESPACE, str(self.r.random())))))
        if t == "windows-registry-key":
            add("enum:data_type", lambda x: x.update(values=[{"name": "a", "data_type": "REG_STRING"}]))
        if t in ("mac-addr", "ipv4-addr", "url", "domain-name", "email-addr"):
            add("bad-value", self.bad_value)
        if t in ("file", "artifact", "x509-certificate") and "hashes" in o:
            add("bad-hash", lambda x: x.update(hashes={self.r.choice(["MD5", "SHA-256", "SHA-1"]): "abc123"}))
        if t == "sighting":
            add("ref:where_sighted_refs", lambda x: x.update(where_sighted_refs=[self.g.ref("malware")]))
            add("ref:observed_data_refs", lambda x: x.update(observed_data_refs=[self.g.ref("indicator")]))
        if t == "relationship":
            add("ref:source_ref", lambda x: x.update(source_ref=self.g.ref(self.r.choice(
                ["relationship", "sighting", "bundle", "marking-definition", "language-content"]))))
        if t == "malware":
            add("ref:operating_system_refs", lambda x: x.update(operating_system_refs=[self.g.ref("identity")]))
        if t == "malware-analysis":
            add("ref:sample_ref", lambda x: x.update(sample_ref=self.g.ref("identity")))
        if t == "observed-data":
            add("ref:object_refs", lambda x: x.update(object_refs=[self.g.ref("malware")]))
        if "object_marking_refs" in o or is_sdo_like:
            add("ref:granular-marking-ref", lambda x: x.update(granular_markings=[
                {"marking_ref": self.g.ref("identity"), "selectors": ["id"]}]))
        if t == "language-content":
            add("lang-content-key", lambda x: x.update(contents={"german": {"name": "x"}}))
        if t == "process":
            add("dict-bad-key", lambda x: x.update(environment_variables={"BAD KEY": "1"}))
        if with_bugs and is_sdo_like:
            add("ref:created_by_ref", lambda x: x.update(created_by_ref=self.g.ref("malware")), "R1")
            add("ref:object_marking_refs", lambda x: x.update(object_marking_refs=[self.g.ref("identity")]), "R2")
            add("created-after-modified-nanos", lambda x: x.update(
                created=x["modified"][:19] + ".0000001Z", modified=x["modified"][:19] + ".000Z"), "R7")
        if with_bugs and t == "network-traffic":
            add("ref:src_ref", lambda x: x.update(src_ref=self.g.ref("file")), "R6")
        return [x for x in c if x is not None]

    # individual mutations
    def created_no_millis(self, x):
        p = self.r.choice(["created", "modified"])
        x[p] = x[p][:19] + self.r.choice(["Z", ".1Z", ".12Z"])
        if p == "created" and x["modified"][:19] <= x["created"][:19]:
            x["modified"] = x["created"][:19] + ".999Z"
        if p == "modified" and x["modified"][:19] <= x["created"][:19]:
            x["created"] = x["modified"][:19] + ".000Z"

    def created_after_modified(self, x):
        sec = epoch(x["created"]) - self.r.randint(1, 400 * 86400)
        x["modified"] = self.g.fmt(sec, self.r.randint(0, 999999), 3)

    def swap_order(self, x, a, b, strict):
        # b strictly before a; for strict pairs sometimes exactly equal (also invalid).
        if strict and self.r.random() < 0.3:
            x[b] = x[a]
        else:
            x[b] = self.g.fmt(epoch(x[a]) - self.r.randint(1, 200 * 86400), 0, self.r.choice([0, 3]))

    def bad_id(self, x):
        t = x["type"]
        u = x["id"].split("--", 1)[-1]
        choice = self.r.randint(0, 4)
        if choice == 0:
            x["id"] = f"{t}--{u[:-1]}g"
        elif choice == 1 and t in SDO_TYPES + SCO_TYPES + OTHER_TYPES:  # custom types: prefix unchecked
            other = "identity" if t != "identity" else "malware"
            x["id"] = f"{other}--{u}"
        elif choice == 2:
            x["id"] = f"{t}-{u}"
        elif choice == 3:
            x["id"] = f"{t}--{u[:8]}-{u[9:13]}-{u[14:18]}-{'c'}{u[20:23]}-{u[24:]}"
        else:
            x["id"] = f"{t}--{u.replace('-', '')}"

    def null_property(self, x):
        x[self.r.choice(["description", "x_meridian_note", "name"])] = None

    def bad_property_name(self, x):
        x[self.r.choice(["X_Meridian_Score", "xM", "Description", "x_Meridian"])] = "v"

    def bad_selector(self, x):
        x["granular_markings"] = [{"marking_ref": self.r.choice(MARKING_IDS),
                                   "selectors": [self.r.choice(["no_such_property", "labels.[9]",
                                                                "external_references.[3].url", "id.x"])]}]
        x.pop("labels", None)
        x.pop("external_references", None)

    def tlp1_other(self, x):
        k = self.r.randint(0, 2)
        if k == 0:
            x["definition"] = {"tlp": "purple"}
        elif k == 1:
            x["created"] = "2018-01-01T00:00:00.000Z"
        else:
            x["name"] = "TLP:" + self.r.choice(["CLEAR", "PURPLE"])

    def bad_extension(self, x):
        key = next(iter(x["extensions"]))
        k = self.r.randint(0, 2)
        if k == 0 and key.startswith("extension-definition--"):
            x["extensions"][key].pop("extension_type", None)
            x["extensions"][key]["rank"] = 1
        elif k == 1 and key.startswith("extension-definition--"):
            x["extensions"][key]["extension_type"] = "property"
        elif k == 2 or not key.endswith("-ext"):
            x["extensions"] = {}
        else:
            x["extensions"][key] = {}

    def bad_value(self, x):
        t = x["type"]
        bad = {"mac-addr": ["00:1A:2B:3C:4D:5E", "00-1a-2b-3c-4d-5e", "001a2b3c4d5e"],
               "ipv4-addr": ["256.1.1.1", "1.2.3", "1.2.3.4/33", "one.two.three.four"],
               "url": ["not a url", "example.com/path", "http//example.com"],
               "domain-name": ["exa_mple.com", "-bad-.com", "a..b"],
               "email-addr": ["not-an-email", "user.example.com"]}[t]
        x["value"] = self.r.choice(bad)

    def bundle_inner(self, x):
        i = self.r.randrange(len(x["objects"]))
        inner = x["objects"][i]
        opts = [m for m in self.candidates(inner, False)
                if m[0] not in ("drop-required:spec_version", "bad-spec-version")]
        name, fn, _ = self.r.choice(opts)
        fn(inner)
        return f"bundle-inner:objects[{i}]:{name}"

    def mutate(self, o, with_bugs):
        # Pick a mutation class uniformly, then one mutation of that class, so that classes with
        # many candidates (one per list property, say) do not crowd out the others.
        by_class = {}
        for cand in self.candidates(o, with_bugs):
            by_class.setdefault(cand[0].split(":")[0], []).append(cand)
        name, fn, bug = self.r.choice(by_class[self.r.choice(sorted(by_class))])
        res = fn(o)
        if fn == self.bundle_inner:
            name = res
        return name, bug


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--explain", metavar="FILE", help="write one JSON line per element describing it")
    ap.add_argument("--with-reference-bugs", action="store_true",
                    help="also generate invalid objects the reference validator wrongly accepts")
    args = ap.parse_args()

    rng = random.Random(args.seed)
    gen = Gen(rng)
    mut = Mutator(rng, gen)
    types = SDO_TYPES + SCO_TYPES + OTHER_TYPES
    out, explain = [], []
    # Warm the reference pools so early references can point at earlier objects.
    for i in range(args.count):
        t = types[i % len(types)] if i < len(types) else rng.choice(types)
        obj = gen.make(t)
        entry = {"index": i, "expect_valid": True, "type": obj["type"], "mutation": None, "reference_bug": None}
        if rng.random() < 0.5:
            obj = copy.deepcopy(obj)
            name, bug = mut.mutate(obj, args.with_reference_bugs)
            entry.update(expect_valid=False, mutation=name, reference_bug=bug)
        out.append(obj)
        explain.append(entry)

    json.dump(out, sys.stdout, ensure_ascii=False, separators=(",", ":"))
    sys.stdout.write("\n")
    if args.explain:
        with open(args.explain, "w") as f:
            for e in explain:
                f.write(json.dumps(e) + "\n")


if __name__ == "__main__":
    main()
