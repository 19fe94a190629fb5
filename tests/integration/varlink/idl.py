"""A parser of Varlink interface definitions, written from the grammar at
varlink.org ("Interface Definition"): enough to tell that a description is
well-formed and to list its members with their parameters."""
import re

NAME = r"[A-Z][A-Za-z0-9]*"
FIELD = r"[A-Za-z](?:_?[A-Za-z0-9])*"
INTERFACE = r"[A-Za-z](?:-*[A-Za-z0-9])*(?:\.[A-Za-z0-9](?:-*[A-Za-z0-9])*)+"


class Error(Exception):
    pass


class _Tokens:
    def __init__(self, text):
        # Comments run to the end of their line.
        text = re.sub(r"#[^\n]*", "", text)
        self.toks = re.findall(r"->|\[\]|\[string\]|[(),:?]|[A-Za-z0-9_.\-]+|\S", text)
        self.i = 0

    def peek(self):
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self, expected=None, pattern=None):
        tok = self.peek()
        if tok is None:
            raise Error(f"unexpected end, expected {expected or pattern}")
        if expected is not None and tok != expected:
            raise Error(f"expected {expected!r}, got {tok!r}")
        if pattern is not None and not re.fullmatch(pattern, tok):
            raise Error(f"{tok!r} does not match {pattern}")
        self.i += 1
        return tok


def _type(t, names):
    tok = t.peek()
    if tok == "?":
        t.take()
        if t.peek() == "?":
            raise Error("?? is not a type")
        return "?" + _type(t, names)
    if tok in ("[]", "[string]"):
        t.take()
        return tok + _type(t, names)
    if tok == "(":
        return _struct_or_enum(t, names)
    if tok in ("bool", "int", "float", "string", "object"):
        return t.take()
    name = t.take(pattern=NAME)
    names.add(name)
    return name


def _struct_or_enum(t, names):
    t.take("(")
    fields = []
    kind = None
    while t.peek() != ")":
        field = t.take(pattern=FIELD)
        if t.peek() == ":":
            if kind == "enum":
                raise Error("enum and struct mixed")
            kind = "struct"
            t.take(":")
            fields.append((field, _type(t, names)))
        else:
            if kind == "struct":
                raise Error("enum and struct mixed")
            kind = "enum"
            fields.append((field, None))
        if t.peek() == ",":
            t.take(",")
            if t.peek() == ")":
                raise Error("trailing comma")
        elif t.peek() != ")":
            raise Error(f"expected , or ), got {t.peek()!r}")
    t.take(")")
    return "(" + ", ".join(f if ty is None else f"{f}: {ty}" for f, ty in fields) + ")"


def parse(text):
    """{"interface": name, "types": {...}, "methods": {name: (in, out)},
    "errors": {name: params}}; Error when malformed."""
    t = _Tokens(text)
    t.take("interface")
    result = {"interface": t.take(pattern=INTERFACE), "types": {}, "methods": {}, "errors": {}}
    used = set()
    members = 0
    while t.peek() is not None:
        kw = t.take()
        name = t.take(pattern=NAME)
        if any(name in result[k] for k in ("types", "methods", "errors")):
            raise Error(f"{name} defined twice")
        if kw == "type":
            result["types"][name] = _struct_or_enum(t, used)
        elif kw == "method":
            params = _struct_or_enum(t, used)
            t.take("->")
            result["methods"][name] = (params, _struct_or_enum(t, used))
        elif kw == "error":
            result["errors"][name] = _struct_or_enum(t, used)
        else:
            raise Error(f"unknown keyword {kw!r}")
        members += 1
    if not members:
        raise Error("an interface has at least one member")
    missing = used - set(result["types"])
    if missing:
        raise Error(f"types used but not defined: {sorted(missing)}")
    return result
