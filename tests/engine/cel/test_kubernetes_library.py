"""The Kubernetes CEL libraries, table-tested with the examples of their documentation.

Examples are those of k8s.io/apiserver/pkg/cel/library (quantity.go, ip.go,
cidr.go, urls.go, regex.go, lists.go) and of cel-go's ext strings; where a
doc example disagrees with the library's code, the code wins and the case says so.
"""

from __future__ import annotations

from typing import Any

import pytest

from regulens.engine.cel_runtime import compile_program

ERROR = object()


def run(expression: str, variables: dict[str, Any] | None = None) -> Any:
    program = compile_program(expression)
    try:
        return program.execute(variables or {})
    except Exception:
        return ERROR


QUANTITY = [
    ("isQuantity('1.3G')", True),
    ("isQuantity('1.3Gi')", True),
    ("isQuantity('1,3G')", False),
    ("isQuantity('10000k')", True),
    ("isQuantity('200K')", False),
    ("isQuantity('Three')", False),
    ("isQuantity('Mi')", False),
    ("quantity('200K')", ERROR),
    ("quantity('Three')", ERROR),
    ("quantity('Mi')", ERROR),
    ('quantity("50000000G").isInteger()', True),
    ('quantity("50k").isInteger()', True),
    ('quantity("9999999999999999999999999999999999999G").asInteger()', ERROR),
    ('quantity("9999999999999999999999999999999999999G").isInteger()', False),
    ('quantity("50k").asInteger() == 50000', True),
    ('quantity("50k").sub(20000).asApproximateFloat() == 30000.0', True),
    ('quantity("50k").add(quantity("20k")) == quantity("70k")', True),
    ('quantity("50k").add(20) == quantity("50020")', True),
    ('quantity("50k").sub(quantity("20k")) == quantity("30k")', True),
    ('quantity("50k").sub(20000) == quantity("30k")', True),
    ('quantity("50k").add(20).sub(quantity("100k")).sub(-50000) == quantity("20")', True),
    ('quantity("200M").compareTo(quantity("0.2G"))', 0),
    ('quantity("50M").compareTo(quantity("50Mi"))', -1),
    ('quantity("50Mi").compareTo(quantity("50M"))', 1),
    ('quantity("150Mi").isGreaterThan(quantity("100Mi"))', True),
    ('quantity("50Mi").isGreaterThan(quantity("100Mi"))', False),
    ('quantity("50M").isLessThan(quantity("100M"))', True),
    ('quantity("100M").isLessThan(quantity("50M"))', False),
    # the forms the brief names, and the ones containers use
    ('quantity("1.5Gi").asInteger()', 1610612736),
    ('quantity("500m").asApproximateFloat()', 0.5),
    ('quantity("500m").isInteger()', False),
    ('quantity("1Gi") == quantity("1024Mi")', True),
    ('quantity("-1").sign()', -1),
    ('quantity("0").sign()', 0),
    ('quantity("1e3").asInteger()', 1000),
    ('quantity("").isInteger()', ERROR),
    ("quantity(5)", ERROR),
    ('quantity("1").isGreaterThan(1)', ERROR),
]

IP = [
    ("isIP('127.0.0.1')", True),
    ("isIP('::1')", True),
    ("isIP('127.0.0.256')", False),
    ("isIP(':::1')", False),
    ("isIP('::ffff:1.2.3.4')", False),
    ("isIP('fe80::1%eth0')", False),
    ("isIP('010.0.0.1')", False),
    ("ip('127.0.0.256')", ERROR),
    ("ip(':::1')", ERROR),
    ("ip.isCanonical('127.0.0.1')", True),
    ("ip.isCanonical('2001:db8::abcd')", True),
    ("ip.isCanonical('2001:DB8::ABCD')", False),
    ("ip.isCanonical('2001:db8::0:0:0:abcd')", False),
    ("ip('127.0.0.1').family()", 4),
    ("ip('::1').family()", 6),
    ("ip('127.0.0.1').family() == 4", True),
    ("ip('::1').family() == 6", True),
    ("ip('0.0.0.0').isUnspecified()", True),
    ("ip('127.0.0.1').isUnspecified()", False),
    ("ip('::').isUnspecified()", True),
    ("ip('::1').isUnspecified()", False),
    ("ip('127.0.0.1').isLoopback()", True),
    ("ip('192.168.0.1').isLoopback()", False),
    ("ip('::1').isLoopback()", True),
    ("ip('2001:db8::abcd').isLoopback()", False),
    ("ip('224.0.0.1').isLinkLocalMulticast()", True),
    ("ip('224.0.1.1').isLinkLocalMulticast()", False),
    ("ip('ff02::1').isLinkLocalMulticast()", True),
    ("ip('fd00::1').isLinkLocalMulticast()", False),
    ("ip('169.254.169.254').isLinkLocalUnicast()", True),
    ("ip('192.168.0.1').isLinkLocalUnicast()", False),
    ("ip('fe80::1').isLinkLocalUnicast()", True),
    ("ip('fd80::1').isLinkLocalUnicast()", False),
    ("ip('192.168.0.1').isGlobalUnicast()", True),
    ("ip('255.255.255.255').isGlobalUnicast()", False),
    ("ip('2001:db8::abcd').isGlobalUnicast()", True),
    ("ip('ff00::1').isGlobalUnicast()", False),
    ("string(ip('2001:DB8::1'))", "2001:db8::1"),
    ("ip('10.0.0.1') == ip('10.0.0.1')", True),
    ("ip(1)", ERROR),
    ("ip('::1').isLoopback() && string(1) == '1'", True),
]

CIDR = [
    ("isCIDR('192.168.0.0/16')", True),
    ("isCIDR('::1/128')", True),
    ("isCIDR('192.168.0.0/33')", False),
    ("isCIDR('::1/129')", False),
    ("isCIDR('192.168.0.0')", False),
    ("cidr('192.168.0.0/33')", ERROR),
    ("cidr('::1/129')", ERROR),
    ("cidr('192.168.0.0/24').containsIP(ip('192.168.0.1'))", True),
    ("cidr('192.168.0.0/24').containsIP(ip('192.168.1.1'))", False),
    ("cidr('192.168.0.0/24').containsIP('192.168.0.1')", True),
    ("cidr('192.168.0.0/24').containsIP('192.168.1.1')", False),
    ("cidr('192.168.0.0/16').containsCIDR(cidr('192.168.10.0/24'))", True),
    ("cidr('192.168.1.0/24').containsCIDR(cidr('192.168.2.0/24'))", False),
    ("cidr('192.168.0.0/16').containsCIDR('192.168.10.0/24')", True),
    ("cidr('192.168.1.0/24').containsCIDR('192.168.2.0/24')", False),
    ("cidr('192.168.0.1/24').ip() == ip('192.168.0.1')", True),
    ("cidr('192.168.0.1/24').ip().family()", 4),
    ("cidr('::1/128').ip() == ip('::1')", True),
    ("cidr('::1/128').ip().family()", 6),
    ("cidr('192.168.0.0/24').masked() == cidr('192.168.0.0/24')", True),
    ("cidr('192.168.0.1/24').masked() == cidr('192.168.0.0/24')", True),
    ("cidr('192.168.0.0/24') == cidr('192.168.0.0/24').masked()", True),
    ("cidr('192.168.0.1/24') == cidr('192.168.0.1/24').masked()", False),
    ("cidr('192.168.0.0/16').prefixLength()", 16),
    ("cidr('::1/128').prefixLength()", 128),
    ("string(cidr('192.168.0.1/24').masked())", "192.168.0.0/24"),
    ("cidr('10.0.0.0/8').containsIP('::1')", False),
    ("cidr('10.0.0.0/8').containsIP('nope')", ERROR),
]

URLS = [
    ("isURL('https://user:pass@example.com:80/path?query=val#fragment')", True),
    ("isURL('/absolute-path')", True),
    ("isURL('https://a:b:c/')", False),
    ("isURL('../relative-path')", False),
    ("url('https://a:b:c/')", ERROR),
    ("url('../relative-path')", ERROR),
    ("url('/path').getScheme()", ""),
    ("url('https://example.com/').getScheme()", "https"),
    ("url('https://example.com:80/').getHost()", "example.com:80"),
    ("url('https://example.com/').getHost()", "example.com"),
    ("url('https://[::1]:80/').getHost()", "[::1]:80"),
    ("url('https://[::1]/').getHost()", "[::1]"),
    ("url('/path').getHost()", ""),
    ("url('https://example.com:80/').getHostname()", "example.com"),
    ("url('https://127.0.0.1:80/').getHostname()", "127.0.0.1"),
    ("url('https://[::1]:80/').getHostname()", "::1"),
    ("url('/path').getHostname()", ""),
    ("url('https://example.com:80/').getPort()", "80"),
    ("url('https://example.com/').getPort()", ""),
    ("url('/path').getPort()", ""),
    ("url('https://example.com/path').getEscapedPath()", "/path"),
    ("url('https://example.com/path with spaces/').getEscapedPath()", "/path%20with%20spaces/"),
    ("url('https://example.com').getEscapedPath()", ""),
    ("url('https://example.com/path?k1=a&k2=b&k2=c').getQuery()", {"k1": ["a"], "k2": ["b", "c"]}),
    (
        "url('https://example.com/path?key with spaces=value with spaces').getQuery()",
        {"key with spaces": ["value with spaces"]},
    ),
    ("url('https://example.com/path?').getQuery()", {}),
    ("url('https://example.com/path').getQuery()", {}),
    ("isURL('https://example.com/\\u0007')", False),
]

REGEX = [
    # the docs show find('[0-9]*') returning '123'; Go's leftmost-first match of
    # `[0-9]*` on "abc 123" is the empty string at 0, so the `+` form is tested
    ("'abc 123'.find('[0-9]+')", "123"),
    ("'abc 123'.find('[0-9]*')", ""),
    ("'abc 123'.find('xyz')", ""),
    ("'123 abc 456'.findAll('[0-9]+')", ["123", "456"]),
    ("'123 abc 456'.findAll('[0-9]+', 1)", ["123"]),
    ("'123 abc 456'.findAll('xyz')", []),
    ("'abc'.find('(')", ERROR),
    ("'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!'.find('(a+)+$')", ""),  # RE2: linear
]

LISTS = [
    ("[1, 2, 3].isSorted()", True),
    ("['a', 'b', 'b', 'c'].isSorted()", True),
    ("[2.0, 1.0].isSorted()", False),
    ("[1].isSorted()", True),
    ("[].isSorted()", True),
    ("[1, 3].sum()", 4),
    ("[1.0, 3.0].sum()", 4.0),
    ("[duration('1m'), duration('1s')].sum() == duration('1m1s')", True),
    ("[].sum()", 0),
    ("[1, 3].min()", 1),
    ("[1, 3].max()", 3),
    ("[].min()", ERROR),
    ("[1].min()", 1),
    ("([0] + []).min()", 0),
    ("[1, 2, 2, 3].indexOf(2)", 1),
    ("['a', 'b', 'b', 'c'].lastIndexOf('b')", 2),
    ("[1.0].indexOf(1.1)", -1),
    ("[].indexOf('string')", -1),
    ("[1, 2, 3].includes(2)", True),
    ("[1, 2, 3].includes(4)", False),
    ("[1, 2, 3, 4].slice(1, 3)", [2, 3]),
    ("[1, 2].slice(1, 5)", ERROR),
    ("[[1], [2, 3]].flatten()", [1, 2, 3]),
    ("sets.contains([1, 2, 3], [2])", True),
    ("sets.intersects([1], [2])", False),
    ("['a', 1].min()", ERROR),
]

STRINGS = [
    ("'hello'.charAt(1)", "e"),
    ("'hello mellow'.indexOf('ello')", 1),
    ("'hello mellow'.lastIndexOf('ello')", 7),
    ("'TacoCat'.lowerAscii()", "tacocat"),
    ("'TacoCÆt Xii'.upperAscii()", "TACOCÆT XII"),
    ("'hello hello'.replace('he', 'we')", "wello wello"),
    ("'hello hello'.replace('he', 'we', 1)", "wello hello"),
    ("'hello hello'.split(' ')", ["hello", "hello"]),
    ("'hello hello hello'.split(' ', 2)", ["hello", "hello hello"]),
    ("['hello', 'mellow'].join(' ')", "hello mellow"),
    ("['hello', 'mellow'].join()", "hellomellow"),
    ("'tacocat'.substring(4)", "cat"),
    ("'tacocat'.substring(0, 4)", "taco"),
    ("'tacocat'.substring(0, 40)", ERROR),
    ("'  \\ttrim\\n    '.trim()", "trim"),
    ("'gums'.reverse()", "smug"),
    ("'this is a string: %s'.format(['hello'])", "this is a string: hello"),
    ("'%d apples, %.2f pears'.format([3, 1.5])", "3 apples, 1.50 pears"),
    ("'%x %X %o %b'.format([255, 255, 8, 5])", "ff FF 10 101"),
    ("'100%%'.format([])", "100%"),
    ("'%s'.format([])", ERROR),
    ("'%d'.format(['x'])", ERROR),
    ("bool('true') && !bool('f')", True),
    ("strings.quote('a\"b')", '"a\\"b"'),
]

OPTIONALS = [
    ("object.?metadata.name.orValue('none')", "web"),
    ("object.?status.phase.orValue('none')", "none"),
    ("object.?metadata.?labels.app.orValue('x')", "web"),
    ("object.?metadata.labels.hasValue()", True),
    ("object.metadata.labels[?'missing'].hasValue()", False),
    ("object.metadata.labels[?'app'].value()", "web"),
    ("object.spec.containers[?0].name.orValue('')", "c"),
    ("object.spec.containers[?5].hasValue()", False),
    ("object.?nope.value()", ERROR),
    ("optional.of(1).hasValue()", True),
    ("optional.none().orValue(2)", 2),
    ("optional.ofNonZeroValue('').hasValue()", False),
    ("optional.none().or(optional.of(3)).value()", 3),
    ("object.metadata.name.?x.hasValue()", ERROR),
]

OBJECT = {
    "metadata": {"name": "web", "labels": {"app": "web"}},
    "spec": {"containers": [{"name": "c"}]},
}


@pytest.mark.parametrize(
    ("expression", "expected"), QUANTITY + IP + CIDR + URLS + REGEX + LISTS + STRINGS + OPTIONALS
)
def test_documented_example(expression: str, expected: Any) -> None:
    result = run(expression, {"object": OBJECT})
    if expected is ERROR:
        assert result is ERROR, result
    else:
        assert result == expected
        assert type(result) is type(expected)


def test_a_forged_tag_map_is_an_error_not_a_value() -> None:
    assert (
        run("object.q.isGreaterThan(quantity('1'))", {"object": {"q": {"@k8s.quantity": "x"}}})
        is ERROR
    )
    assert run("object.q.family()", {"object": {"q": {"@k8s.ip": "300.1.1.1"}}}) is ERROR


@pytest.mark.parametrize(
    "source",
    ["{?'a': optional.of(1)}", "[?optional.of(1)]", "object.?"],
)
def test_unsupported_optional_syntax_is_rejected_at_load(source: str) -> None:
    with pytest.raises(ValueError, match=r"not supported|followed by a field name|parse"):
        compile_program(source)


@pytest.mark.parametrize(
    "expression",
    [
        "string(timestamp('2026-01-02T03:04:05Z'))",
        "string(1.5) + string(7u) + string(duration('90s'))",
        "string(b'abc')",
    ],
)
def test_string_conversion_is_the_runtimes_own_with_or_without_the_ip_library(
    expression: str,
) -> None:
    native = run(expression)
    assert native is not ERROR
    assert run(f"{expression} + string(ip('::1'))") == native + "::1"
