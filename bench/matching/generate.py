#!/usr/bin/env python3
"""Deterministic workload for `meridian match` benchmarks and tests.

Writes, under OUT:
  indicators/all.txt    domains, IPv4 addresses, IPv4 CIDR blocks, IPv6 addresses, URLs, hashes
  logs/dns.log          Zeek TSV dns.log
  logs/conn.log         Zeek TSV conn.log
  logs/eve.json         Suricata EVE JSON (dns and flow events)
  expected.json         the exact number of lines with a hit in each log

About 0.1% of lines hit an indicator: an exact or subdomain name, an exact address, or an
address inside a CIDR block. Another 0.1% are traps that only a substring matcher hits
(`x<indicator>` names). Everything comes from a seeded splitmix64 generator, so a given
scale always produces the same bytes.

Usage: generate.py OUT [--scale small|medium|bench] [--lines N] [--seed S]
"""
import argparse
import json
import os

M = (1 << 64) - 1
SCALES = {
    # domains, ipv4, cidrs, ipv6, urls, hashes, log lines per file
    "small": (300, 300, 30, 20, 20, 20, 20_000),
    "medium": (100_000, 100_000, 10_000, 1_000, 1_000, 1_000, 1_000_000),
    "bench": (1_000_000, 1_000_000, 100_000, 10_000, 10_000, 10_000, 1_000_000),
}
HIT_PPM = 1000
TRAP_PPM = 1000
TLDS = ["com", "net", "ru", "info", "xyz", "top"]
LETTERS = "abcdefghijklmnopqrstuvwxyz"


class Rng:
    def __init__(self, seed):
        self.s = seed & M

    def next(self):
        self.s = (self.s + 0x9E3779B97F4A7C15) & M
        z = self.s
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
        return z ^ (z >> 31)

    def below(self, n):
        return self.next() % n


def ip(n):
    return f"{n >> 24}.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"


def indicators(rng, scale):
    n_dom, n_ip, n_cidr, n_v6, n_url, n_hash, _ = scale
    domains = []
    for i in range(n_dom):
        word = "".join(LETTERS[rng.below(26)] for _ in range(8))
        domains.append(f"{word}{i}.{TLDS[rng.below(len(TLDS))]}")
    # Exact addresses in 11.0.0.0-126.255.255.255; logs' benign addresses are never there.
    ips = sorted({(11 << 24) + rng.below(116 << 24) for _ in range(n_ip)})
    # CIDR blocks in 200.0.0.0-223.255.255.255, /16 to /28.
    cidrs = []
    for _ in range(n_cidr):
        prefix = 16 + rng.below(13)
        base = ((200 << 24) + rng.below(24 << 24)) & ((M << (32 - prefix)) & 0xFFFFFFFF)
        cidrs.append((base, prefix))
    v6 = [f"2001:db8:{rng.below(65536):x}:{rng.below(65536):x}::{rng.below(65536):x}" for _ in range(n_v6)]
    urls = [f"http://{domains[rng.below(n_dom)]}/p{i}/{rng.below(10**9)}.php" for i in range(n_url)]
    hashes = [f"{rng.next():016x}{rng.next():016x}{rng.next():016x}{rng.next():016x}" for _ in range(n_hash)]
    return domains, ips, cidrs, v6, urls, hashes


def benign_server(rng):
    return ip((150 << 24) + rng.below(20 << 24))


def benign_client(rng):
    return ip((10 << 24) + rng.below(1 << 24))


def benign_name(rng):
    return f"www{rng.below(50)}.site{rng.below(200_000)}.example.org"


def hit_choice(rng, domains, ips, cidrs):
    """A (name, address) pair of which exactly one hits."""
    kind = rng.below(4)
    if kind == 0:
        return domains[rng.below(len(domains))], benign_server(rng)
    if kind == 1:
        return f"cdn{rng.below(9)}.{domains[rng.below(len(domains))]}", benign_server(rng)
    if kind == 2:
        return benign_name(rng), ip(ips[rng.below(len(ips))])
    base, prefix = cidrs[rng.below(len(cidrs))]
    return benign_name(rng), ip(base + rng.below(1 << (32 - prefix)))


def line_kind(rng):
    r = rng.below(1_000_000)
    return "hit" if r < HIT_PPM else "trap" if r < HIT_PPM + TRAP_PPM else "benign"


def write_dns(path, rng, lines, domains, ips, cidrs):
    hits = 0
    with open(path, "w") as out:
        out.write("#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tdns\n#open\t2023-11-14-22-00-00\n")
        out.write("#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\ttrans_id\trtt\tquery\tqclass\tqclass_name\tqtype\tqtype_name\trcode\trcode_name\tAA\tTC\tRD\tRA\tZ\tanswers\tTTLs\trejected\n")
        out.write("#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tcount\tinterval\tstring\tcount\tstring\tcount\tstring\tcount\tstring\tbool\tbool\tbool\tbool\tcount\tvector[string]\tvector[interval]\tbool\n")
        buf = []
        for n in range(lines):
            kind = line_kind(rng)
            if kind == "hit":
                hits += 1
                query, answer = hit_choice(rng, domains, ips, cidrs)
            elif kind == "trap":
                query, answer = "x" + domains[rng.below(len(domains))], benign_server(rng)
            else:
                query, answer = benign_name(rng), benign_server(rng)
            ts = 1700000000 + n // 50
            buf.append(f"{ts}.{rng.below(1000000):06d}\tC{rng.next() & 0xFFFFFFFFFFFF:012x}\t{benign_client(rng)}\t{1024 + rng.below(60000)}\t10.0.0.53\t53\tudp\t{rng.below(65536)}\t0.{rng.below(100000):05d}\t{query}\t1\tC_INTERNET\t1\tA\t0\tNOERROR\tF\tF\tT\tT\t0\t{answer}\t{rng.below(86400)}.000000\tF\n")
            if len(buf) >= 10000:
                out.write("".join(buf))
                buf.clear()
        out.write("".join(buf))
        out.write("#close\t2023-11-15-22-00-00\n")
    return hits


def write_conn(path, rng, lines, ips, cidrs):
    hits = 0
    with open(path, "w") as out:
        out.write("#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n#open\t2023-11-14-22-00-00\n")
        out.write("#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents\n")
        out.write("#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\tbool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]\n")
        buf = []
        for n in range(lines):
            kind = line_kind(rng)
            if kind == "hit":
                hits += 1
                if rng.below(2):
                    resp = ip(ips[rng.below(len(ips))])
                else:
                    base, prefix = cidrs[rng.below(len(cidrs))]
                    resp = ip(base + rng.below(1 << (32 - prefix)))
            else:
                resp = benign_server(rng)
            ts = 1700000000 + n // 50
            buf.append(f"{ts}.{rng.below(1000000):06d}\tC{rng.next() & 0xFFFFFFFFFFFF:012x}\t{benign_client(rng)}\t{1024 + rng.below(60000)}\t{resp}\t{[80, 443, 53, 22][rng.below(4)]}\ttcp\t-\t{rng.below(100)}.{rng.below(1000000):06d}\t{rng.below(100000)}\t{rng.below(1000000)}\tSF\tT\tF\t0\tShADadFf\t{rng.below(100)}\t{rng.below(100000)}\t{rng.below(100)}\t{rng.below(1000000)}\t-\n")
            if len(buf) >= 10000:
                out.write("".join(buf))
                buf.clear()
        out.write("".join(buf))
        out.write("#close\t2023-11-15-22-00-00\n")
    return hits


def write_eve(path, rng, lines, domains, ips, cidrs):
    hits = 0
    with open(path, "w") as out:
        buf = []
        for n in range(lines):
            kind = line_kind(rng)
            if kind == "hit":
                hits += 1
                name, server = hit_choice(rng, domains, ips, cidrs)
            elif kind == "trap":
                name, server = "x" + domains[rng.below(len(domains))], benign_server(rng)
            else:
                name, server = benign_name(rng), benign_server(rng)
            ts = f"2023-11-14T{(n // 3600000) % 24:02d}:{(n // 60000) % 60:02d}:{(n // 1000) % 60:02d}.{rng.below(1000000):06d}+0000"
            flow = rng.next() & 0xFFFFFFFFFFFF
            if rng.below(2):
                buf.append(f'{{"timestamp":"{ts}","flow_id":{flow},"in_iface":"eth0","event_type":"dns","src_ip":"{benign_client(rng)}","src_port":{1024 + rng.below(60000)},"dest_ip":"10.0.0.53","dest_port":53,"proto":"UDP","dns":{{"version":2,"type":"answer","id":{rng.below(65536)},"flags":"8180","qr":true,"rd":true,"ra":true,"rrname":"{name}","rrtype":"A","rcode":"NOERROR","answers":[{{"rrname":"{name}","rrtype":"A","ttl":{rng.below(86400)},"rdata":"{server}"}}]}}}}\n')
            else:
                # A flow event carries no name: put a hit's address in dest_ip.
                if kind == "hit" and not name.endswith(".example.org"):
                    name, server = benign_name(rng), ip(ips[rng.below(len(ips))])
                buf.append(f'{{"timestamp":"{ts}","flow_id":{flow},"in_iface":"eth0","event_type":"flow","src_ip":"{benign_client(rng)}","src_port":{1024 + rng.below(60000)},"dest_ip":"{server}","dest_port":443,"proto":"TCP","app_proto":"tls","flow":{{"pkts_toserver":{rng.below(100)},"pkts_toclient":{rng.below(100)},"bytes_toserver":{rng.below(100000)},"bytes_toclient":{rng.below(1000000)},"start":"{ts}","end":"{ts}","age":{rng.below(100)},"state":"closed","reason":"timeout","alerted":false}}}}\n')
            if len(buf) >= 10000:
                out.write("".join(buf))
                buf.clear()
        out.write("".join(buf))
    return hits


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out")
    parser.add_argument("--scale", choices=sorted(SCALES), default="small")
    parser.add_argument("--lines", type=int, help="log lines per file (overrides the scale's)")
    parser.add_argument("--seed", type=int, default=20231114)
    args = parser.parse_args()
    scale = SCALES[args.scale]
    lines = args.lines or scale[6]
    rng = Rng(args.seed)
    domains, ips, cidrs, v6, urls, hashes = indicators(rng, scale)
    os.makedirs(os.path.join(args.out, "indicators"), exist_ok=True)
    os.makedirs(os.path.join(args.out, "logs"), exist_ok=True)
    values = domains + [ip(a) for a in ips] + [f"{ip(b)}/{p}" for b, p in cidrs] + v6 + urls + hashes
    with open(os.path.join(args.out, "indicators", "all.txt"), "w") as out:
        out.write("\n".join(values) + "\n")
    expected = {
        "dns.log": write_dns(os.path.join(args.out, "logs", "dns.log"), rng, lines, domains, ips, cidrs),
        "conn.log": write_conn(os.path.join(args.out, "logs", "conn.log"), rng, lines, ips, cidrs),
        "eve.json": write_eve(os.path.join(args.out, "logs", "eve.json"), rng, lines, domains, ips, cidrs),
    }
    with open(os.path.join(args.out, "expected.json"), "w") as out:
        json.dump({"scale": args.scale, "lines": lines, "seed": args.seed, "indicators": len(values), "hit_lines": expected}, out, indent=2)
        out.write("\n")


if __name__ == "__main__":
    main()
