"""LaTeX → MathML for the subset the proofs use; never raises.

Anything the converter cannot read comes back as escaped ``<code>``.

>>> "<mfrac>" in latex_to_mathml(r"\\frac{1}{N}")
True
"""

from __future__ import annotations

import html
import re

__all__ = ["LatexError", "latex_to_mathml"]

# -- LaTeX → MathML -----------------------------------------------------------------------


class LatexError(ValueError):
    """LaTeX outside the supported subset (the caller falls back to <code>)."""


GREEK = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ϵ", "varepsilon": "ε",
    "zeta": "ζ", "eta": "η", "theta": "θ", "vartheta": "ϑ", "iota": "ι", "kappa": "κ",
    "lambda": "λ", "mu": "μ", "nu": "ν", "xi": "ξ", "pi": "π", "rho": "ρ", "sigma": "σ",
    "tau": "τ", "upsilon": "υ", "phi": "ϕ", "varphi": "φ", "chi": "χ", "psi": "ψ",
    "omega": "ω", "ell": "ℓ",
    "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ", "Xi": "Ξ", "Pi": "Π",
    "Sigma": "Σ", "Upsilon": "Υ", "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω",
}
SYMBOLS = {  # command → operator character
    "cdot": "⋅", "times": "×", "div": "÷", "pm": "±", "mp": "∓", "neq": "≠", "ne": "≠",
    "le": "≤", "leq": "≤", "ge": "≥", "geq": "≥", "approx": "≈", "sim": "∼", "equiv": "≡",
    "propto": "∝", "to": "→", "rightarrow": "→", "leftarrow": "←", "Rightarrow": "⇒",
    "Leftarrow": "⇐", "Leftrightarrow": "⇔", "iff": "⟺", "implies": "⟹", "mapsto": "↦",
    "in": "∈", "notin": "∉", "subset": "⊂", "subseteq": "⊆", "cup": "∪", "cap": "∩",
    "forall": "∀", "exists": "∃", "succeq": "⪰", "preceq": "⪯", "succ": "≻", "prec": "≺",
    "odot": "⊙", "otimes": "⊗", "oplus": "⊕", "circ": "∘", "ast": "∗", "star": "⋆",
    "dots": "…", "ldots": "…", "cdots": "⋯", "vdots": "⋮", "ddots": "⋱", "mid": "∣",
    "|": "‖", "Vert": "‖", "vert": "|", "langle": "⟨", "rangle": "⟩", "lbrace": "{",
    "rbrace": "}", "{": "{", "}": "}", "lvert": "|", "rvert": "|", "lVert": "‖", "rVert": "‖",
    "lfloor": "⌊", "rfloor": "⌋", "lceil": "⌈", "rceil": "⌉", "setminus": "∖", "wedge": "∧",
    "vee": "∨", "neg": "¬", "ll": "≪", "gg": "≫", "triangleq": "≜", "coloneqq": "≔",
    "%": "%", "#": "#", "$": "$", "&": "&", "_": "_",
}
IDENTIFIERS = {"partial": "∂", "nabla": "∇", "infty": "∞", "top": "⊤", "intercal": "⊺",
               "emptyset": "∅", "hbar": "ℏ", "prime": "′", "imath": "ı", "jmath": "ȷ"}
BIG_OPS = {"sum": "∑", "prod": "∏", "int": "∫", "oint": "∮", "bigcup": "⋃", "bigcap": "⋂",
           "coprod": "∐"}
FUNCTIONS = {"log", "ln", "exp", "sin", "cos", "tan", "tanh", "sinh", "cosh", "det", "dim",
             "ker", "sgn", "arg", "deg", "gcd", "Pr", "lg", "sec", "csc", "cot", "arcsin",
             "arccos", "arctan", "trace"}
LIMIT_FUNCTIONS = {"max", "min", "lim", "sup", "inf", "argmax", "argmin", "limsup", "liminf"}
ACCENTS = {"hat": "ˆ", "widehat": "^", "bar": "¯", "overline": "¯", "tilde": "~",
           "widetilde": "~", "vec": "→", "dot": "˙", "ddot": "¨", "check": "ˇ",
           "breve": "˘", "underline": "_"}
VARIANTS = {"mathbf": "bold", "boldsymbol": "bold-italic", "bm": "bold-italic",
            "mathrm": "normal", "mathit": "italic", "mathcal": "script", "mathscr": "script",
            "mathbb": "double-struck", "mathsf": "sans-serif", "mathfrak": "fraktur",
            "mathtt": "monospace", "operatorname": "normal"}
SPACES = {",": "0.1667em", ":": "0.2222em", ";": "0.2778em", " ": "0.25em", "quad": "1em",
          "qquad": "2em", "!": "-0.1667em", "enspace": "0.5em", "thinspace": "0.1667em"}
SIZES = {"big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr", "biggl", "biggr",
         "Biggl", "Biggr", "displaystyle", "textstyle", "scriptstyle", "limits", "nolimits",
         "nonumber", "notag"}
MATRICES = {"matrix": ("", ""), "bmatrix": ("[", "]"), "pmatrix": ("(", ")"),
            "vmatrix": ("|", "|"), "Vmatrix": ("‖", "‖"), "Bmatrix": ("{", "}"),
            "cases": ("{", ""), "aligned": ("", ""), "align": ("", ""), "array": ("", ""),
            "align*": ("", ""), "gathered": ("", ""), "split": ("", "")}
_DRAWN_DELIMITERS = {"[": "m-brackets", "(": "m-parens", "|": "m-bars", "‖": "m-dbars"}
TEXT_COMMANDS = {"text", "textrm", "mbox", "textit", "textbf", "mathtt", "texttt"}

_TOKEN = re.compile(r"\\([A-Za-z]+\*?|.)|(\d+(?:\.\d+)?)|(\s+)|(.)", re.S)


def _tokens(src: str) -> list[tuple[str, str]]:
    out = []
    for m in _TOKEN.finditer(src):
        cmd, num, space, ch = m.groups()
        if cmd is not None:
            out.append(("cmd", cmd))
        elif num is not None:
            out.append(("num", num))
        elif space is not None:
            out.append(("space", space))
        else:
            out.append(("char", ch))
    return out


def _e(s: str) -> str:
    return html.escape(s, quote=True)


def _mo(ch: str, **attrs: str) -> str:
    extra = "".join(f' {k}="{_e(v)}"' for k, v in attrs.items())
    return f"<mo{extra}>{_e(ch)}</mo>"


class _Parser:
    def __init__(self, src: str) -> None:
        self.src = src
        self.toks = _tokens(src)
        self.i = 0
        self.depth = 0

    # token helpers
    def peek(self, skip_space: bool = True):
        j = self.i
        while skip_space and j < len(self.toks) and self.toks[j][0] == "space":
            j += 1
        return self.toks[j] if j < len(self.toks) else None

    def next(self):
        while self.i < len(self.toks) and self.toks[self.i][0] == "space":
            self.i += 1
        if self.i >= len(self.toks):
            raise LatexError("unexpected end of input")
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def expect(self, kind: str, value: str) -> None:
        tok = self.next()
        if tok != (kind, value):
            raise LatexError(f"expected {value!r}, got {tok[1]!r}")

    def raw_group(self) -> str:
        """The source text of a ``{...}`` group (for \\text and environment names)."""
        self.expect("char", "{")
        depth, parts = 1, []
        while self.i < len(self.toks):
            kind, val = self.toks[self.i]
            self.i += 1
            if (kind, val) == ("char", "{"):
                depth += 1
            elif (kind, val) == ("char", "}"):
                depth -= 1
                if depth == 0:
                    return "".join(parts)
            parts.append("\\" + val if kind == "cmd" else val)
        raise LatexError("unbalanced braces")

    # grammar
    def expression(self, stop=(), variant=None) -> list[str]:
        items: list[str] = []
        self.depth += 1
        if self.depth > 60:
            raise LatexError("nested too deeply")
        while True:
            tok = self.peek()
            if tok is None or tok in stop:
                break
            if tok == ("char", "}"):
                raise LatexError("unbalanced '}'")
            items.append(self.scripted(variant))
        self.depth -= 1
        return items

    def group(self, variant=None) -> str:
        """A required argument: a braced group or a single token."""
        tok = self.peek()
        if tok == ("char", "{"):
            self.next()
            items = self.expression(stop=(("char", "}"),), variant=variant)
            self.expect("char", "}")
            return f"<mrow>{''.join(items)}</mrow>"
        if tok is None:
            raise LatexError("missing argument")
        return self.atom(variant)

    def scripted(self, variant) -> str:
        tok = self.peek()
        limits = tok is not None and tok[0] == "cmd" and (
            tok[1] in BIG_OPS and tok[1] not in ("int", "oint") or tok[1] in LIMIT_FUNCTIONS)
        base = self.atom(variant)
        sub = sup = None
        primes = ""
        while True:
            tok = self.peek()
            if tok == ("char", "_") and sub is None:
                self.next()
                sub = self.group()
            elif tok == ("char", "^") and sup is None:
                self.next()
                sup = self.group()
            elif tok == ("char", "'"):
                self.next()
                primes += "′"
            elif tok in (("char", "_"), ("char", "^")):
                raise LatexError("double subscript or superscript")
            else:
                break
        if primes:
            sup = f"<mrow><mo>{primes}</mo>{sup or ''}</mrow>"
        if sub is None and sup is None:
            return base
        under, over = ("munder", "mover") if limits else ("msub", "msup")
        both = "munderover" if limits else "msubsup"
        if sub is not None and sup is not None:
            return f"<{both}>{base}{sub}{sup}</{both}>"
        if sub is not None:
            return f"<{under}>{base}{sub}</{under}>"
        return f"<{over}>{base}{sup}</{over}>"

    def mi(self, text: str, variant) -> str:
        v = variant or ("normal" if len(text) > 1 else None)
        return f'<mi mathvariant="{v}">{_e(text)}</mi>' if v else f"<mi>{_e(text)}</mi>"

    def atom(self, variant) -> str:
        kind, val = self.next()
        if kind == "num":
            return f"<mn>{_e(val)}</mn>"
        if kind == "char":
            if val == "{":
                items = self.expression(stop=(("char", "}"),), variant=variant)
                self.expect("char", "}")
                return f"<mrow>{''.join(items)}</mrow>"
            if val.isascii() and val.isalpha():
                return self.mi(val, variant)
            if val in "^_&}":
                raise LatexError(f"unexpected {val!r}")
            if val == "~":
                return '<mspace width="0.25em"></mspace>'
            if val in "([":
                return _mo(val, stretchy="false")
            if val in ")]":
                return _mo(val, stretchy="false")
            if val.isalpha():  # non-ASCII letters, e.g. ŷ, or CJK words written inline
                return f"<mtext>{_e(val)}</mtext>"
            return _mo({"-": "−", "*": "∗"}.get(val, val))
        return self.command(val, variant)

    def command(self, name: str, variant) -> str:
        if name in GREEK:
            upright = name[0].isupper()
            return self.mi(GREEK[name], variant or ("normal" if upright else None))
        if name in IDENTIFIERS:
            return self.mi(IDENTIFIERS[name], variant or "normal")
        if name in SYMBOLS:
            return _mo(SYMBOLS[name])
        if name in BIG_OPS:
            return _mo(BIG_OPS[name], largeop="true", movablelimits="false")
        if name in FUNCTIONS or name in LIMIT_FUNCTIONS:
            return f'<mi mathvariant="normal">{_e(name)}</mi><mo>&#x2061;</mo>' \
                if name in FUNCTIONS else f'<mo movablelimits="false">{_e(name)}</mo>'
        if name in SPACES:
            return f'<mspace width="{SPACES[name]}"></mspace>'
        if name in SIZES:
            return "<mrow></mrow>"
        if name in ("frac", "dfrac", "tfrac", "cfrac"):
            num, den = self.group(variant), self.group(variant)
            return f"<mfrac>{num}{den}</mfrac>"
        if name == "binom":
            top, bot = self.group(variant), self.group(variant)
            return (f'<mrow><mo>(</mo><mfrac linethickness="0">{top}{bot}</mfrac>'
                    "<mo>)</mo></mrow>")
        if name == "sqrt":
            if self.peek() == ("char", "["):
                self.next()
                index = self.expression(stop=(("char", "]"),), variant=variant)
                self.expect("char", "]")
                return f"<mroot>{self.group(variant)}<mrow>{''.join(index)}</mrow></mroot>"
            return f"<msqrt>{self.group(variant)}</msqrt>"
        if name in ACCENTS:
            body = self.group(variant)
            tag = "munder" if name == "underline" else "mover"
            attr = 'accentunder="true"' if tag == "munder" else 'accent="true"'
            stretch = "true" if name.startswith(("wide", "over", "under")) else "false"
            return (f"<{tag} {attr}>{body}<mo stretchy=\"{stretch}\">{_e(ACCENTS[name])}</mo>"
                    f"</{tag}>")
        if name in ("xrightarrow", "xleftarrow", "overset", "underset", "stackrel"):
            if name.startswith("x"):
                label = self.group()
                arrow = "→" if name == "xrightarrow" else "←"
                return f'<mover><mo stretchy="true">{arrow}</mo>{label}</mover>'
            top, base = self.group(), self.group(variant)
            tag = "munder" if name == "underset" else "mover"
            return f"<{tag}>{base}{top}</{tag}>"
        if name in VARIANTS:
            if name == "operatorname":
                return f'<mi mathvariant="normal">{_e(self.raw_group())}</mi><mo>&#x2061;</mo>'
            return self.group(VARIANTS[name])
        if name in TEXT_COMMANDS:
            return f"<mtext>{_e(self.raw_group())}</mtext>"
        if name == "left":
            return self.fenced()
        if name == "right":
            raise LatexError("\\right without \\left")
        if name == "begin":
            return self.environment()
        if name == "\\":
            raise LatexError("line break outside an environment")
        raise LatexError(f"unsupported command \\{name}")

    def delimiter(self) -> str:
        kind, val = self.next()
        if kind == "char" and val in "()[]|/.<>":
            return {"<": "⟨", ">": "⟩", ".": ""}.get(val, val)
        if kind == "cmd" and val in SYMBOLS:
            return SYMBOLS[val]
        raise LatexError(f"bad delimiter {val!r}")

    def fenced(self) -> str:
        opening = self.delimiter()
        items = self.expression(stop=(("cmd", "right"),))
        self.expect("cmd", "right")
        closing = self.delimiter()
        pair = {"(": ")", "[": "]", "|": "|", "‖": "‖"}
        drawn = _DRAWN_DELIMITERS.get(opening)
        if drawn and pair.get(opening) == closing:  # drawn with CSS, as for matrices
            return f'<mrow class="{drawn}">{"".join(items)}</mrow>'
        o = _mo(opening, fence="true", stretchy="true") if opening else ""
        c = _mo(closing, fence="true", stretchy="true") if closing else ""
        return f"<mrow>{o}{''.join(items)}{c}</mrow>"

    def environment(self) -> str:
        name = self.raw_group().strip()
        if name not in MATRICES:
            raise LatexError(f"unsupported environment {name}")
        if name == "array":
            self.raw_group()  # column spec
        rows, cells, cur = [], [], []
        stops = (("char", "&"), ("cmd", "\\"), ("cmd", "end"))
        while True:
            cur = self.expression(stop=stops)
            cells.append(f"<mtd>{''.join(cur)}</mtd>")
            kind, val = self.next()
            if (kind, val) == ("char", "&"):
                continue
            rows.append(f"<mtr>{''.join(cells)}</mtr>")
            cells = []
            if (kind, val) == ("cmd", "end"):
                if self.raw_group().strip() != name:
                    raise LatexError(f"\\begin{{{name}}} closed by another \\end")
                break
        left, right = MATRICES[name]
        align = ' columnalign="right left"' if name in ("aligned", "align", "align*",
                                                         "split") else ""
        # Stretchy fences need a font with an OpenType MATH table, which many systems
        # lack: matrix delimiters are drawn with CSS around the table instead.
        drawn = _DRAWN_DELIMITERS.get(left) if right else None
        if drawn:
            return f'<mtable class="{drawn}"{align}>{"".join(rows)}</mtable>'
        table = f"<mtable{align}>{''.join(rows)}</mtable>"
        o = _mo(left, fence="true", stretchy="true") if left else ""
        c = _mo(right, fence="true", stretchy="true") if right else ""
        return f"<mrow>{o}{table}{c}</mrow>"


def latex_to_mathml(latex: str, *, display: bool = False, large: bool = False) -> str:
    """LaTeX (the subset proofs use) as a ``<math>`` element; escaped ``<code>`` otherwise.

    Never raises: anything outside the subset is shown as its source.
    ``display`` makes a centred block; ``large`` keeps it inline but typesets
    fractions and sums at full size (MathML ``displaystyle``).

    >>> print(latex_to_mathml(r"x^2")[:67])
    <math><semantics><mrow><msup><mi>x</mi><mn>2</mn></msup></mrow><ann
    >>> latex_to_mathml(r"\\unknowncommand{<b>}")
    '<code class="tex">\\\\unknowncommand{&lt;b&gt;}</code>'
    """
    try:
        p = _Parser(latex)
        items = p.expression()
        if p.peek() is not None:
            raise LatexError("trailing input")
        body = "".join(items)
    except (LatexError, RecursionError, IndexError):
        return f'<code class="tex">{_e(latex)}</code>'
    disp = ' display="block"' if display else (' displaystyle="true"' if large else "")
    return (f"<math{disp}><semantics><mrow>{body}</mrow>"
            f'<annotation encoding="application/x-tex">{_e(latex)}</annotation>'
            "</semantics></math>")


# -- the page -----------------------------------------------------------------------------
