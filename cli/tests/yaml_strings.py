"""Strings that a YAML loader might read as something other than a string,
generated systematically for the YAML read-back test (yaml_loaders.py).

Every family is built by rule rather than listed by hand, so that a gap in
the writer's quoting shows up as a whole class of failures:

- every string of 1 to 3 characters over the characters numbers are made
  of, and of 4 characters over a smaller set;
- number forms of every YAML 1.1 and 1.2 resolver (ints in bases 2, 8, 10
  and 16, floats, exponents, sexagesimal, .inf and .nan), each with an
  optional sign, with '_' inserted at, or replacing, every position, and
  in upper case;
- every upper/lower case spelling of the bool and null words;
- dates and date-times in the shapes of the YAML 1.1 timestamp resolvers,
  with near misses;
- every YAML indicator character in the places a plain scalar can hold it.
"""

import itertools

SHORT = "019_.:+-eExob"
SHORT4 = "01_.:+-e"

NUMBERS = [
    "0", "7", "9", "10", "017", "019", "0b101", "0o17", "0x1F", "0xaf",
    "1e5", "1E5", "1e+5", "1e-5", "e5", "1.5", "1.5e+3", "1.5E-3", ".5",
    ".5e+3", "5.", "0.0", "1:20", "1:20.5", "190:20:30.15", "0:20", "1:60",
    "685230.15", "6.8523015e+5", ".inf", ".nan", "12e", "1.2.3",
]

WORDS = ["y", "n", "yes", "no", "on", "off", "true", "false", "null", "nul",
         "inf", "nan", ".inf", ".nan", "~", "<<", "="]

DATES = ["2001-12-14", "2001-1-2", "2001-01-2", "2001-1-02", "0000-00-00",
         "2001-123-1", "20011-12-14", "2001-12-1x", "201-12-14"]
SEPARATORS = ["T", "t", " ", "\t", "  ", " \t", "x", ""]
TIMES = ["21:59:43", "1:02:03", "1:2:3", "21:59:43.5", "21:59:43.",
         "21:59:43.123456789", "21:59", "21:59:43:1"]
ZONES = ["", "Z", "z", " Z", "+5", "-05", "+05:30", " -5", "+0530", "+5:3",
         "-25", " +1:00"]

INDICATORS = "-?:,[]{}#&*!|>'\"%@`=<~"


def case_forms(word):
    """Every upper/lower case spelling of word."""
    choices = [(c.lower(), c.upper()) if c.isalpha() else (c,) for c in word]
    return ["".join(p) for p in itertools.product(*choices)]


def underscored(s):
    """s with '_' inserted at every position, doubled, and in place of
    every character."""
    out = []
    for i in range(len(s) + 1):
        out.append(s[:i] + "_" + s[i:])
        out.append(s[:i] + "__" + s[i:])
    for i in range(len(s)):
        out.append(s[:i] + "_" + s[i + 1:])
    return out


def numbers():
    out = []
    for seed in NUMBERS:
        forms = [seed, seed.upper(), seed.capitalize()] + underscored(seed)
        for f in forms:
            for sign in ("", "+", "-"):
                out.append(sign + f)
    return out


def words():
    out = []
    for w in WORDS:
        for f in case_forms(w):
            out += [f, f + "x", "x" + f, f + " ", "+" + f, "-" + f]
    return out


def timestamps():
    out = []
    for d in DATES:
        out += [d, d + "x", d + " x"]
        for sep, t in itertools.product(SEPARATORS, TIMES):
            out.append(d + sep + t)
        for sep, t, z in itertools.product(["T", " "], TIMES[:4], ZONES):
            out.append(d + sep + t + z)
    return out


def indicators():
    out = ["---", "...", "--- a", "... a", "---a", "...a", "-- -", ". . ."]
    for c in INDICATORS:
        out += [c, c * 2, c * 3, c + " ", c + "a", c + " a", c + "\ta",
                "a" + c, "a" + c + "b", "a " + c, "a " + c + " b",
                "a" + c + " b", "a " + c + "b", " " + c, c + "1", "1" + c,
                "1" + c + " 2", c + c + " a"]
    return out


def exhaustive():
    out = []
    for n in range(1, 4):
        out += ["".join(p) for p in itertools.product(SHORT, repeat=n)]
    out += ["".join(p) for p in itertools.product(SHORT4, repeat=4)]
    return out


# The characters of short number-like strings that YAML writers disagree
# on (yaml_writers.py): every string of 1 to 3 of them, and of 4 over the
# smaller set.
WRITER_SHORT = "0189.+-_eExob:a"
WRITER_SHORT4 = "019.+-_eo:"


def writer_strings():
    """all_strings, then every short string over WRITER_SHORT and
    WRITER_SHORT4 not among them, each once, in a fixed order."""
    out = all_strings()
    seen = set(out)
    more = []
    for n in range(1, 4):
        more += ["".join(p) for p in itertools.product(WRITER_SHORT, repeat=n)]
    more += ["".join(p) for p in itertools.product(WRITER_SHORT4, repeat=4)]
    for s in more:
        if s not in seen:
            seen.add(s)
            out.append(s)
    return out


def all_strings():
    """The generated strings, each once, in a fixed order."""
    seen, out = set(), []
    for s in (exhaustive() + numbers() + words() + timestamps() +
              indicators()):
        if s not in seen:
            seen.add(s)
            out.append(s)
    return out
