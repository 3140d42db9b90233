"""The Kubernetes CEL libraries (k8s.io/apiserver/pkg/cel/library) written for the `cel` package.

Error messages never repeat the value that failed to parse: it comes from
the judged object and may be a secret.

The Rust runtime cannot carry Python objects, so the Kubernetes types are
plain CEL maps with one reserved key holding a canonical form: equal values
have equal maps, so `==` means what it means in Kubernetes
(`quantity('1Gi') == quantity('1024Mi')`). Every function validates the tag
it receives, so a forged map is either a well-formed value or an error.
"""

from __future__ import annotations

import functools
import ipaddress
import itertools
import math
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any

from cel import OptionalValue, stdlib

QUANTITY = "@k8s.quantity"
IP = "@k8s.ip"
CIDR = "@k8s.cidr"
URL = "@k8s.url"

_INT64 = (-(1 << 63), (1 << 63) - 1)

# ---------------------------------------------------------------- quantity

_QUANTITY = re.compile(
    r"([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?[0-9]+)?"
)
_BINARY = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_DECIMAL = {"n": -9, "u": -6, "m": -3, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_NANO = Fraction(1, 10**9)


def parse_quantity(text: str) -> Fraction:
    """Return the exact value of a Kubernetes quantity (`1.5Gi`, `500m`, `1e3`)."""
    m = _QUANTITY.fullmatch(text)
    if m is None:
        raise ValueError(
            "quantities must match the regular expression "
            "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
        )
    number, suffix = Fraction(m.group(1)), m.group(2) or ""
    if suffix in _BINARY:
        value = number * (1 << _BINARY[suffix])
    elif suffix in _DECIMAL:
        value = number * Fraction(10) ** _DECIMAL[suffix]
    elif suffix:
        exponent = int(suffix[1:])
        if abs(exponent) > 1000:
            raise ValueError("quantity exponent out of range")
        value = number * Fraction(10) ** exponent
    else:
        value = number
    # Kubernetes keeps nano precision and rounds anything finer up (away from zero)
    scaled = value / _NANO
    if scaled.denominator != 1:
        value = Fraction(math.ceil(abs(scaled)) * (1 if value > 0 else -1)) * _NANO
    return value


def _q(value: Fraction) -> dict[str, str]:
    return {QUANTITY: str(value)}


def _unq(value: Any) -> Fraction:
    if type(value) is dict and len(value) == 1 and isinstance(value.get(QUANTITY), str):
        try:
            return Fraction(value[QUANTITY])
        except ValueError:
            pass
    raise TypeError(f"no such overload: expected a quantity, got {_type_name(value)}")


def quantity(text: Any) -> dict[str, str]:
    return _q(parse_quantity(_str(text)))


def is_quantity(text: Any) -> bool:
    try:
        parse_quantity(_str(text))
    except ValueError:
        return False
    return True


def _operand(value: Any) -> Fraction:
    if type(value) is int:
        return Fraction(value)
    return _unq(value)


def q_add(a: Any, b: Any) -> dict[str, str]:
    return _q(_unq(a) + _operand(b))


def q_sub(a: Any, b: Any) -> dict[str, str]:
    return _q(_unq(a) - _operand(b))


def q_compare_to(a: Any, b: Any) -> int:
    x, y = _unq(a), _unq(b)
    return (x > y) - (x < y)


def q_is_greater_than(a: Any, b: Any) -> bool:
    return _unq(a) > _unq(b)


def q_is_less_than(a: Any, b: Any) -> bool:
    return _unq(a) < _unq(b)


def q_sign(a: Any) -> int:
    x = _unq(a)
    return (x > 0) - (x < 0)


def q_is_integer(a: Any) -> bool:
    x = _unq(a)
    return x.denominator == 1 and _INT64[0] <= x <= _INT64[1]


def q_as_integer(a: Any) -> int:
    if not q_is_integer(a):
        raise ValueError("cannot convert value to integer")
    return int(_unq(a))


def q_as_approximate_float(a: Any) -> float:
    x = _unq(a)
    try:
        return float(x)
    except OverflowError:
        return math.inf if x > 0 else -math.inf


# ---------------------------------------------------------------- IP and CIDR


def _parse_ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    if "%" in text:
        raise ValueError("IP address with zone value is not allowed")
    try:
        addr = ipaddress.ip_address(text)
    except ValueError:
        raise ValueError("IP Address parse error during conversion from string") from None
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        raise ValueError("IPv4-mapped IPv6 address is not allowed")
    return addr


def _unip(value: Any) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    if type(value) is dict and len(value) == 1 and isinstance(value.get(IP), str):
        return _parse_ip(value[IP])
    raise TypeError(f"no such overload: expected an IP address, got {_type_name(value)}")


def _parse_cidr(text: str) -> tuple[ipaddress.IPv4Address | ipaddress.IPv6Address, int]:
    addr_text, slash, bits_text = text.partition("/")
    if not slash or not re.fullmatch(r"0|[1-9][0-9]{0,2}", bits_text):
        raise ValueError("network address parse error during conversion from string")
    addr = _parse_ip(addr_text)
    bits = int(bits_text)
    if bits > addr.max_prefixlen:
        raise ValueError("network address parse error: prefix length out of range")
    return addr, bits


def _uncidr(value: Any) -> tuple[ipaddress.IPv4Address | ipaddress.IPv6Address, int]:
    if type(value) is dict and len(value) == 1 and isinstance(value.get(CIDR), str):
        return _parse_cidr(value[CIDR])
    raise TypeError(f"no such overload: expected a CIDR, got {_type_name(value)}")


def _cidr_value(addr: ipaddress.IPv4Address | ipaddress.IPv6Address, bits: int) -> dict[str, str]:
    return {CIDR: f"{addr.compressed}/{bits}"}


def ip(value: Any) -> dict[str, str]:
    """`ip(string)` parses an address; `cidr(...).ip()` is the CIDR's address."""
    if type(value) is dict and CIDR in value:
        return {IP: _uncidr(value)[0].compressed}
    return {IP: _parse_ip(_str(value)).compressed}


def is_ip(value: Any) -> bool:
    try:
        _parse_ip(_str(value))
    except ValueError:
        return False
    return True


def ip_is_canonical(value: Any) -> bool:
    text = _str(value)
    return _parse_ip(text).compressed == text


def ip_family(value: Any) -> int:
    return _unip(value).version


def ip_is_unspecified(value: Any) -> bool:
    return _unip(value).is_unspecified


def ip_is_loopback(value: Any) -> bool:
    addr = _unip(value)
    return addr in _V4_LOOPBACK if addr.version == 4 else addr == _V6_LOOPBACK


def ip_is_link_local_multicast(value: Any) -> bool:
    addr = _unip(value)
    if addr.version == 4:
        return addr in _V4_LL_MULTICAST
    return (int(addr) >> 112) & 0xFF0F == 0xFF02


def ip_is_link_local_unicast(value: Any) -> bool:
    addr = _unip(value)
    return addr in (_V4_LL_UNICAST if addr.version == 4 else _V6_LL_UNICAST)


def ip_is_global_unicast(value: Any) -> bool:
    addr = _unip(value)
    if addr.version == 4:
        if addr in (ipaddress.IPv4Address(0), ipaddress.IPv4Address("255.255.255.255")):
            return False
        multicast = addr in _V4_MULTICAST
    else:
        if addr.is_unspecified:
            return False
        multicast = addr in _V6_MULTICAST
    return not (ip_is_loopback(value) or multicast or ip_is_link_local_unicast(value))


_V4_LOOPBACK = ipaddress.ip_network("127.0.0.0/8")
_V6_LOOPBACK = ipaddress.IPv6Address("::1")
_V4_LL_MULTICAST = ipaddress.ip_network("224.0.0.0/24")
_V4_LL_UNICAST = ipaddress.ip_network("169.254.0.0/16")
_V6_LL_UNICAST = ipaddress.ip_network("fe80::/10")
_V4_MULTICAST = ipaddress.ip_network("224.0.0.0/4")
_V6_MULTICAST = ipaddress.ip_network("ff00::/8")


def cidr(value: Any) -> dict[str, str]:
    return _cidr_value(*_parse_cidr(_str(value)))


def is_cidr(value: Any) -> bool:
    try:
        _parse_cidr(_str(value))
    except ValueError:
        return False
    return True


def _network(addr: ipaddress.IPv4Address | ipaddress.IPv6Address, bits: int) -> Any:
    return ipaddress.ip_network(f"{addr}/{bits}", strict=False)


def cidr_contains_ip(c: Any, other: Any) -> bool:
    addr, bits = _uncidr(c)
    target = _parse_ip(other) if isinstance(other, str) else _unip(other)
    return target.version == addr.version and target in _network(addr, bits)


def cidr_contains_cidr(c: Any, other: Any) -> bool:
    addr, bits = _uncidr(c)
    o_addr, o_bits = _parse_cidr(other) if isinstance(other, str) else _uncidr(other)
    return o_addr.version == addr.version and o_bits >= bits and o_addr in _network(addr, bits)


def cidr_prefix_length(c: Any) -> int:
    return _uncidr(c)[1]


def cidr_masked(c: Any) -> dict[str, str]:
    addr, bits = _uncidr(c)
    return _cidr_value(_network(addr, bits).network_address, bits)


def to_string(value: Any) -> Any:
    """`string()` of an IP or CIDR; other values convert as CEL's own `string()` does."""
    if type(value) is dict and len(value) == 1:
        if IP in value:
            return _unip(value).compressed
        if CIDR in value:
            addr, bits = _uncidr(value)
            return f"{addr.compressed}/{bits}"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return (
            repr(value) if math.isfinite(value) else {math.inf: "+infinity"}.get(value, str(value))
        )
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, timedelta):
        return f"{value.total_seconds():g}s"
    raise TypeError(f"no such overload: string({_type_name(value)})")


# ---------------------------------------------------------------- URLs

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*")
_UNRESERVED = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_PATH_KEEP = _UNRESERVED | set("$&+,/:;=@")
_PATH_VALID = _PATH_KEEP | set("!'()*[]%")


def _unescape(text: str, plus_is_space: bool = False) -> str:
    out = bytearray()
    i = 0
    raw = text.encode("utf-8")
    while i < len(raw):
        c = raw[i]
        if c == 0x25:  # %
            hexpart = raw[i + 1 : i + 3]
            if len(hexpart) != 2 or not all(chr(h) in "0123456789abcdefABCDEF" for h in hexpart):
                raise ValueError("invalid URL escape")
            out.append(int(hexpart, 16))
            i += 3
            continue
        out.append(0x20 if plus_is_space and c == 0x2B else c)
        i += 1
    return out.decode("utf-8", "replace")


def _parse_url(text: str) -> dict[str, str]:
    """Split a URL the way Go's url.ParseRequestURI accepts and url.Parse splits it."""
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in text):
        raise ValueError("URL parse error: invalid control character in URL")
    rest, _, _fragment = text.partition("#")
    scheme = host = ""
    m = _SCHEME.match(rest)
    if m and rest[m.end() : m.end() + 1] == ":":
        scheme, rest = m.group(0).lower(), rest[m.end() + 1 :]
    elif not rest.startswith("/"):
        raise ValueError("URL parse error: invalid URI for request")
    rest, _, query = rest.partition("?")
    if scheme and rest.startswith("//"):
        authority, slash, path = rest[2:].partition("/")
        path = slash + path
        host = authority.rpartition("@")[2]
        if host.startswith("["):
            close = host.find("]")
            if close < 0:
                raise ValueError("URL parse error: missing ']' in host")
            port_part = host[close + 1 :]
        else:
            colon = host.rfind(":")
            port_part = host[colon:] if colon >= 0 else ""
        if port_part and not re.fullmatch(r":[0-9]*", port_part):
            raise ValueError("URL parse error: invalid port after host")
    elif scheme and not rest.startswith("/"):
        path = ""  # opaque (mailto:x)
    else:
        path = rest
    _unescape(path)
    return {URL: text, "scheme": scheme, "host": host, "path": path, "query": query}


def _unurl(value: Any) -> dict[str, str]:
    if type(value) is dict and len(value) == 1 and isinstance(value.get(URL), str):
        return _parse_url(value[URL])
    raise TypeError(f"no such overload: expected a URL, got {_type_name(value)}")


def url(value: Any) -> dict[str, str]:
    text = _str(value)
    _parse_url(text)
    return {URL: text}


def is_url(value: Any) -> bool:
    try:
        _parse_url(_str(value))
    except ValueError:
        return False
    return True


def url_get_scheme(u: Any) -> str:
    return _unurl(u)["scheme"]


def url_get_host(u: Any) -> str:
    return _unurl(u)["host"]


def _split_host(host: str) -> tuple[str, str]:
    if host.startswith("["):
        close = host.find("]")
        return host[1:close], host[close + 2 :]
    name, colon, port = host.rpartition(":")
    return (name, port) if colon else (host, "")


def url_get_hostname(u: Any) -> str:
    return _split_host(_unurl(u)["host"])[0]


def url_get_port(u: Any) -> str:
    return _split_host(_unurl(u)["host"])[1]


def url_get_escaped_path(u: Any) -> str:
    raw = _unurl(u)["path"]
    if all(c in _PATH_VALID for c in raw):
        return raw
    return "".join(
        c if c in _PATH_KEEP else "".join(f"%{b:02X}" for b in c.encode("utf-8"))
        for c in _unescape(raw)
    )


def url_get_query(u: Any) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for pair in _unurl(u)["query"].split("&"):
        if not pair or ";" in pair:
            continue
        key, _, val = pair.partition("=")
        try:
            key, val = _unescape(key, True), _unescape(val, True)
        except ValueError:
            continue
        out.setdefault(key, []).append(val)
    return out


# ---------------------------------------------------------------- regex (RE2, like Go)


@functools.cache
def _re2() -> tuple[Any, Any]:
    """RE2 (Go's regexp syntax, linear time), imported on first use: 15 ms of start-up."""
    import re2

    options = re2.Options()
    options.log_errors = False  # errors are results here, not stderr lines
    return re2, options


def _regex(pattern: Any) -> Any:
    re2, options = _re2()
    try:
        return re2.compile(_str(pattern), options)
    except re2.error as exc:
        raise ValueError(f"Illegal regex: {exc}") from None


def find(text: Any, pattern: Any) -> str:
    m = _regex(pattern).search(_str(text))
    return "" if m is None else str(m.group(0))


def find_all(text: Any, pattern: Any, limit: int = -1) -> list[str]:
    s, regex = _str(text), _regex(pattern)
    out: list[str] = []
    pos, prev_end = 0, -1
    while pos <= len(s) and (limit < 0 or len(out) < limit):
        m = regex.search(s, pos)
        if m is None:
            break
        start, end = m.span()
        if start == end:
            if end != prev_end:  # Go ignores an empty match right after a match
                out.append("")
            pos = end + 1
        else:
            out.append(str(m.group(0)))
            pos = end
        prev_end = end
    return out


# ---------------------------------------------------------------- lists and strings


def _list(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    raise TypeError(f"no such overload: expected a list, got {_type_name(value)}")


def is_sorted(items: Any) -> bool:
    items = _list(items)
    return all(not (b < a) for a, b in itertools.pairwise(items))


def index_of(target: Any, item: Any, *offset: int) -> int:
    if isinstance(target, str):
        return stdlib.index_of(target, item, *offset)
    for i, x in enumerate(_list(target)):
        if _cel_equal(x, item):
            return i
    return -1


def last_index_of(target: Any, item: Any, *offset: int) -> int:
    if isinstance(target, str):
        return stdlib.last_index_of(target, item, *offset)
    items = _list(target)
    for i in range(len(items) - 1, -1, -1):
        if _cel_equal(items[i], item):
            return i
    return -1


def _cel_equal(a: Any, b: Any) -> bool:
    return (type(a) is type(b) and bool(a == b)) or (
        isinstance(a, (int, float))
        and isinstance(b, (int, float))
        and not isinstance(a, bool)
        and not isinstance(b, bool)
        and a == b
    )


def list_min(*args: Any) -> Any:
    items = stdlib._flatten_args(args)
    if not items:
        raise ValueError("min called on empty list")
    return min(items)


def list_max(*args: Any) -> Any:
    items = stdlib._flatten_args(args)
    if not items:
        raise ValueError("max called on empty list")
    return max(items)


def includes(target: Any, item: Any) -> bool:
    if isinstance(target, list):
        return any(_cel_equal(x, item) for x in target)
    return _cel_equal(target, item)


def _format_value(verb: str, value: Any, precision: int | None) -> str:
    if verb == "s":
        return _format_plain(value)
    if verb == "d":
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"format: %d needs an integer, got {_type_name(value)}")
        return str(value)
    if verb in "fe":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f"format: %{verb} needs a number, got {_type_name(value)}")
        return f"{float(value):.{6 if precision is None else precision}{verb}}"
    if isinstance(value, bool) or not isinstance(value, (int, str, bytes)):
        raise TypeError(f"format: %{verb} needs an integer or string, got {_type_name(value)}")
    if verb in "xX" and isinstance(value, (str, bytes)):
        raw = value.encode("utf-8") if isinstance(value, str) else value
        return raw.hex() if verb == "x" else raw.hex().upper()
    if isinstance(value, (str, bytes)):
        raise TypeError(f"format: %{verb} needs an integer")
    sign = "-" if value < 0 else ""
    digits = {"b": "b", "o": "o", "x": "x", "X": "X"}[verb]
    return sign + format(abs(value), digits)


def _format_plain(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, list):
        return "[" + ", ".join(_format_plain(v) for v in value) + "]"
    if isinstance(value, dict):
        inner = ", ".join(f"{_format_plain(k)}: {_format_plain(v)}" for k, v in value.items())
        return "{" + inner + "}"
    return str(to_string(value))


_VERB = re.compile(r"%(?:\.([0-9]+))?([sdfeboxX%])|%")


def string_format(template: Any, args: Any) -> str:
    """cel-go's `"...%s...".format([args])` (verbs s d f e b o x X and %%)."""
    text, values = _str(template), _list(args)
    out, pos, used = [], 0, 0
    for m in _VERB.finditer(text):
        out.append(text[pos : m.start()])
        pos = m.end()
        verb = m.group(2)
        if verb is None:
            raise ValueError("format: a % must be followed by a verb")
        if verb == "%":
            out.append("%")
            continue
        if used >= len(values):
            raise ValueError(f"format: index {used} out of range")
        out.append(_format_value(verb, values[used], int(m.group(1)) if m.group(1) else None))
        used += 1
    out.append(text[pos:])
    return "".join(out)


# ---------------------------------------------------------------- optionals


def opt_get(target: Any, key: Any) -> OptionalValue:
    """`target.?key` / `target[?key]`: the value when present, else optional.none()."""
    if isinstance(target, OptionalValue):
        if not target.has_value():
            return target
        target = target.value()
    if isinstance(target, dict):
        return OptionalValue.of(target[key]) if key in target else OptionalValue.none()
    if isinstance(target, list) and type(key) is int:
        return OptionalValue.of(target[key]) if 0 <= key < len(target) else OptionalValue.none()
    raise TypeError(f"no such overload: optional selection on {_type_name(target)}")


# ---------------------------------------------------------------- helpers


def _str(value: Any) -> str:
    if isinstance(value, str):
        return value
    raise TypeError(f"no such overload: expected a string, got {_type_name(value)}")


def _type_name(value: Any) -> str:
    if type(value) is dict and len(value) == 1:
        for tag, name in ((QUANTITY, "quantity"), (IP, "ip"), (CIDR, "cidr"), (URL, "url")):
            if tag in value:
                return name
    return {
        str: "string",
        int: "int",
        float: "double",
        bool: "bool",
        list: "list",
        dict: "map",
        bytes: "bytes",
        type(None): "null",
    }.get(type(value), type(value).__name__)


#: CEL name -> implementation. Method calls `x.f(a)` reach `f(x, a)`.
FUNCTIONS: dict[str, Callable[..., Any]] = {
    # Kubernetes quantity
    "quantity": quantity, "isQuantity": is_quantity, "add": q_add, "sub": q_sub,
    "compareTo": q_compare_to, "isGreaterThan": q_is_greater_than, "isLessThan": q_is_less_than,
    "sign": q_sign, "isInteger": q_is_integer, "asInteger": q_as_integer,
    "asApproximateFloat": q_as_approximate_float,
    # Kubernetes IP / CIDR
    "ip": ip, "isIP": is_ip, "ip.isCanonical": ip_is_canonical, "family": ip_family,
    "isUnspecified": ip_is_unspecified, "isLoopback": ip_is_loopback,
    "isLinkLocalMulticast": ip_is_link_local_multicast,
    "isLinkLocalUnicast": ip_is_link_local_unicast, "isGlobalUnicast": ip_is_global_unicast,
    "cidr": cidr, "isCIDR": is_cidr, "containsIP": cidr_contains_ip,
    "containsCIDR": cidr_contains_cidr, "prefixLength": cidr_prefix_length,
    "masked": cidr_masked, "string": to_string,
    # Kubernetes URLs
    "url": url, "isURL": is_url, "getScheme": url_get_scheme, "getHost": url_get_host,
    "getHostname": url_get_hostname, "getPort": url_get_port,
    "getEscapedPath": url_get_escaped_path, "getQuery": url_get_query,
    # Kubernetes regex
    "find": find, "findAll": find_all,
    # Kubernetes lists (+ cel-go ext lists and sets)
    "isSorted": is_sorted, "sum": stdlib.sum_, "min": list_min, "max": list_max,
    "indexOf": index_of, "lastIndexOf": last_index_of, "includes": includes,
    "slice": stdlib.slice_, "flatten": stdlib.flatten, "distinct": stdlib.distinct,
    "sort": stdlib.sort, "reverse": stdlib.reverse, "first": stdlib.first, "last": stdlib.last,
    "lists.range": stdlib.lists_range,
    "sets.contains": stdlib.sets_contains, "sets.equivalent": stdlib.sets_equivalent,
    "sets.intersects": stdlib.sets_intersects,
    # CEL's bool() conversion, which the Rust runtime lacks
    "bool": stdlib.bool_,
    # cel-go ext strings and encoders
    "charAt": stdlib.char_at, "substring": stdlib.substring, "replace": stdlib.replace,
    "split": stdlib.split, "join": stdlib.join, "lowerAscii": stdlib.lower_ascii,
    "upperAscii": stdlib.upper_ascii, "trim": stdlib.trim, "format": string_format,
    "strings.quote": stdlib.quote,
    "base64.encode": stdlib.base64_encode, "base64.decode": stdlib.base64_decode,
}  # fmt: skip

#: Functions and methods the Rust runtime provides itself.
NATIVE = frozenset({
    "has", "size", "int", "uint", "double", "bytes", "timestamp", "duration", "dyn",
    "type", "matches", "contains", "startsWith", "endsWith", "all", "exists", "exists_one",
    "existsOne", "map", "filter", "hasValue", "value", "orValue", "or",
    "optional.of", "optional.none", "optional.ofNonZeroValue",
    "getFullYear", "getMonth", "getDate", "getDayOfMonth", "getDayOfWeek", "getDayOfYear",
    "getHours", "getMinutes", "getSeconds", "getMilliseconds",
})  # fmt: skip

KNOWN = frozenset(FUNCTIONS) | NATIVE
#: The functions that make IP or CIDR values (which `string()` must then convert).
NETWORK = frozenset({"ip", "cidr", "masked"})
#: The dotted names (`ip.isCanonical`, `optional.of`, `sets.contains` ...).
NAMESPACED = frozenset(n for n in KNOWN if "." in n)
