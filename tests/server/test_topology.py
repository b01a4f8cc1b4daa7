"""server/topology.py: the example validates; every problem is reported with FILE:LINE: FIELD."""
from __future__ import annotations

from pathlib import Path

import pytest

from server.topology import TopologyError, load_topology, parse_topology

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "lab.yml"


def test_example_lab() -> None:
    topo = load_topology(EXAMPLE)
    assert topo.name == "lab3" and list(topo.hosts) == ["client", "router", "server"]
    assert [(str(lk.a), str(lk.b)) for lk in topo.links] == [("client:eth0", "router:eth0"),
                                                              ("router:eth1", "server:eth0")]
    assert topo.hosts["router"].sysctls == {"net.ipv4.ip_forward": 1}


def test_problems_name_line_and_field() -> None:
    text = EXAMPLE.read_text().replace("mtu: 1500", "mtu: big").replace("10.0.2.1/24", "10.0.2.300/24") \
        .replace('"router:eth1", "server:eth0"', '"router:eth1", "server:eth9"')
    with pytest.raises(TopologyError) as info:
        parse_topology(text, "lab.yml")
    assert info.value.problems == [
        "lab.yml:10: hosts.client.nics[0].mtu: must be an integer in 68..65535, got 'big'",
        "lab.yml:23: hosts.router.addresses[1].address: not an IPv4 address/prefix: '10.0.2.300/24'",
        "lab.yml:34: links[1].endpoints[1]: host 'server' has no NIC 'eth9'",
    ]


@pytest.mark.parametrize("snippet, expected", [
    ("name: x\nhosts: {a: {nics: [{name: eth0}]}}\nlinks: [{endpoints: [a:eth0, b:eth0]}]\n", "no host 'b'"),
    ("name: x\nhosts: {a: {sysctls: {net.nope: 1}}}\n", "no such sysctl"),
    ("name: x\nhosts: {a: {bogus: 1}}\n", "unknown field"),
    ("name: x\nhosts: {a: {nics: [{name: eth0}]}, b: {nics: [{name: eth0}]}}\n"
     "links: [{endpoints: [a:eth0, b:eth0], impairments: {a:eth0: delay}}]\n", "bad impairment"),
    ("name: x\nhosts: [1\n", "YAML"),
])
def test_bad_files(snippet: str, expected: str) -> None:
    with pytest.raises(TopologyError) as info:
        parse_topology(snippet, "t.yml")
    assert expected in str(info.value)
