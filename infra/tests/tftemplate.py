"""Render the server example's `templatefile` templates without Terraform.

Providers cannot be downloaded here, so no `terraform console` renders them. This
renders the subset of Terraform's template syntax those templates use, and refuses
anything else (a test then fails instead of reading a half-rendered file):

- `${name}` and `${jsonencode(name)}` with name a variable passed in;
- `$${` (a literal `${`);
- `%{ for x in name ~}` ... `%{ endfor ~}` and `%{ if COND ~}` ... `%{ endif ~}`, each
  alone on its line (with `~}` the whole line goes, as in Terraform); COND is names,
  `null`, `!=`, `==`, `||`, `&&` and `!`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

_DIRECTIVE = re.compile(r"^\s*%\{\s*(.*?)\s*~?\}\s*$")
_INTERPOLATION = re.compile(r"\$\$\{|\$\{([^}]*)\}")
_COND_TOKEN = re.compile(r"\s*(null|!=|==|\|\||&&|!|[A-Za-z_]\w*)")


class TemplateError(Exception):
    """The template uses syntax this renderer does not know, or an unknown variable."""


def _condition(text: str, values: dict[str, Any]) -> bool:
    tokens, pos = [], 0
    while pos < len(text):
        match = _COND_TOKEN.match(text, pos)
        if not match:
            raise TemplateError(f"condition `{text}`: cannot read from `{text[pos:]}`")
        tokens.append(match.group(1))
        pos = match.end()
    words = {"null": "None", "!=": "is not", "==": "is", "||": "or", "&&": "and", "!": "not"}
    python = []
    for token in tokens:
        if token in words:
            python.append(words[token])
        elif token in values:
            python.append(f"values[{token!r}]")
        else:
            raise TemplateError(f"condition `{text}`: unknown variable {token}")
    return bool(eval(" ".join(python), {"__builtins__": {}}, {"values": values}))  # noqa: S307 (tokens checked above)


def _interpolate(line: str, values: dict[str, Any]) -> str:
    def one(match: re.Match[str]) -> str:
        if match.group(1) is None:  # `$${`: a literal `${`
            return "${"
        expr = match.group(1).strip()
        call = re.fullmatch(r"jsonencode\((\w+)\)", expr)
        name = call.group(1) if call else expr
        if name not in values:
            raise TemplateError(f"`${{{expr}}}`: unknown variable (or an expression this renderer does not know)")
        value = values[name]
        if call:
            return json.dumps(value, separators=(",", ":"))  # as Terraform writes it
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            raise TemplateError(f"`${{{expr}}}` is a {type(value).__name__}: Terraform would refuse it too")
        return str(value)

    return _INTERPOLATION.sub(one, line)


def _render(lines: list[str], values: dict[str, Any]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(lines):
        directive = _DIRECTIVE.match(lines[i])
        if not directive:
            if "%{" in lines[i]:
                raise TemplateError(f"a directive not alone on its line: {lines[i]!r}")
            out.append(_interpolate(lines[i], values))
            i += 1
            continue
        words = directive.group(1).split()
        end = {"for": "endfor", "if": "endif"}.get(words[0])
        if end is None:
            raise TemplateError(f"unexpected directive {lines[i]!r}")
        depth, j = 0, i + 1
        while j < len(lines):  # the matching end directive
            inner = _DIRECTIVE.match(lines[j])
            if inner and inner.group(1).split()[0] == words[0]:
                depth += 1
            elif inner and inner.group(1).split()[0] == end:
                if depth == 0:
                    break
                depth -= 1
            j += 1
        else:
            raise TemplateError(f"{lines[i]!r} has no {end}")
        body = lines[i + 1 : j]
        if words[0] == "for":
            if len(words) != 4 or words[2] != "in" or words[3] not in values:
                raise TemplateError(f"unsupported loop {lines[i]!r}")
            for item in values[words[3]]:
                out.extend(_render(body, {**values, words[1]: item}))
        elif _condition(" ".join(words[1:]), values):
            out.extend(_render(body, values))
        i = j + 1
    return out


def render(path: Path, values: dict[str, Any]) -> str:
    """The text `templatefile(path, values)` gives."""
    text = path.read_text(encoding="utf-8")
    return "".join(_render(text.splitlines(keepends=True), values))
