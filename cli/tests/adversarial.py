"""Adversarial string values for the writers' round-trip tests.

Shared by yaml_roundtrip.py and csv_roundtrip.py: every case that a YAML
loader could read as something other than a string, YAML syntax, CSV
syntax, formula starts, control characters, non-ASCII, long strings, and a
deterministic random set of number-like and word-like strings. Each string
is placed in id, name, addonVersion, customDestinationId and destinationId
of a valid backup record."""

import json
import random

NUMBERS = [
    "1234", "0", "00", "07", "09", "-0", "+0", "-1", "+1", "1_000", "1__0",
    "1_", "0_", "_1", "4.4", "4.4.8", "1.2.3", "14.5.0", "1.", ".5", "-.5",
    "+.5", "._", "1e3", "1E3", "1e+3", "1e-3", "1.0e+3", "1.0e3", "1.5E-2",
    "12e", "e3", "6.8523015e+5", "685.230_15e+03", "685_230.15", "0x1F",
    "0X1F", "0x", "0x_", "0x_0A_74_AE", "-0x1F", "0o17", "0o", "0O17",
    "-0o17", "0b1", "0b", "0b_", "0b1010_0111", "-0b1", "02472256", "0_7",
    "1:20", "1:2", "1:60", "190:20:30", "190:20:30.15", "-190:20:30.15",
    "0:20", "0:20.5", "1:20:", "1::20", "12:345", ".inf", ".Inf", ".INF",
    "+.inf", "-.inf", "-.Inf", "-.INF", ".iNf", "inf", "-inf", ".nan",
    ".NaN", ".NAN", ".nAn", "nan", "NaN", "+.nan", "1,000", "1 000",
    "0.1.2", "1-2", "1+2", "2e5x", "0xg", "1.5.", "12345678901234567890123",
]

WORDS = [
    "yes", "Yes", "YES", "yEs", "no", "No", "NO", "nO", "on", "On", "ON",
    "oN", "off", "Off", "OFF", "oFf", "y", "Y", "n", "N", "true", "True",
    "TRUE", "tRUE", "false", "False", "FALSE", "fAlse", "null", "Null",
    "NULL", "nUll", "~", "<<", "=", "yes please", "null x", "~x", "x~",
    "nul", "nulls", "yess", "completed", "in-progress", "custom",
]

TIMESTAMPS = [
    "2021-01-20", "2021-01-20T11:19:53.175Z", "2021-01-20t11:19:53.175z",
    "2001-12-14t21:59:43.10-05:00", "2001-12-14 21:59:43.10 -5",
    "2001-12-15 2:59:43.10", "2001-12-14T21:59:43+05:30", "2002-12-14",
    "2021-13-45", "2021-02-30T25:61:61Z", "2021-1-2 1:02:03",
    "2021-1-2", "2021-01-2", "20210-01-20", "2021-01-20T11:19",
    "2021-01-20T11:19:53.", "2021-01-20 11:19:53 Z",
    "2021-01-20T11:19:53.175Z garbage", "Nightly dump 2021-01-21",
]

SYNTAX = [
    "", " ", "  ", " a", "a ", "  a  ", "-", "-a", "- a", "--", "---",
    "--- a", "...", "... a", "..", "?", "?a", "? a", ":", ":a", ": a", ",",
    ",a", "[", "[a]", "]", "{", "{a: b}", "}", "#", "#a", "# a", "&", "&a",
    "*", "*a", "!", "!a", "!!str", "|", "|a", ">", ">a", "'", "'a", "''",
    "\"", "\"a", "\"\"", "%", "%YAML 1.2", "@", "@a", "`", "`a", "a: b",
    "a:b", "a:", "a::", "a :b", "a #b", "a#b", "a # b", "a,b", "a[b]",
    "a{b}", "a|b", "a>b", "a'b", "it's", 'say "hi"', "a\\b", "\\", "\\n",
    "C:\\backups\\nightly", "a&b", "a*b", "a!b", "a%b", "a@b", "a`b",
    "key: value # comment", "http://example.com/x#y", "a - b", "a ? b",
]

CSV = [
    "a,b", ",", ",,", "a,", ",a", "\"", "a\"b", "\"a\"", "a\"\"b", "a\nb",
    "\n", "a\r\nb", "\r", "a\rb", "a\tb", "\t", "\ta", "a\t", "=1+2",
    "=HYPERLINK(\"http://x\",\"y\")", "+1", "-1", "@SUM(A1)", "=", "+",
    "@", "\ra", "\na", "\x00a", "a\x00", "'=1", "''", "=a,b", "=\"a\"",
    "-a\nb", " =1", "x=1",
]

CONTROL = [
    "\x00", "\x01", "\x07", "\x08", "\x0b", "\x0c", "\x1b", "\x1f", "\x7f",
    "a\x00b", "a\x1bb", "\u0080", "\u0085", "a\u0085b", "\u009f", "\u00a0",
    "a\u00a0", "\u00a0a", "\u2028", "a\u2029b", "\ufeff", "\ufeffa",
    "\ufffe", "\uffff", "\ufffd", "\ue000",
]

UNICODE = [
    "Ünïcödé", "日本語のバックアップ", "emoji 😀", "😀", "mixed ä: b",
    "Ελληνικά", "עברית", "ça va? oui", "\U0010fffd", "\U0001f600: x",
    "naïve #tag", "naïve — dash",
]

LONG = [
    "x" * 100000,
    ("word " * 2000).strip(),
    ("a: b " * 500).strip(),
    "long, with \"quotes\" and\nnewlines " * 300,
    "=" + "9" * 5000,
    "1" * 3000,
]


def random_cases(seed=12345, count=3000):
    rng = random.Random(seed)
    alphabets = ["0123456789._:+-eExXoObB_", "0123456789-:T .Zz+",
                 "yYnNoOfFtTrRuUeEsSlL~", "01._e+-:", "-?:,[]{}#&*!|>'\"%@` a"]
    out = []
    seen = set()
    while len(out) < count:
        a = rng.choice(alphabets)
        s = "".join(rng.choice(a) for _ in range(rng.randint(1, 9)))
        if s not in seen:
            seen.add(s)
            out.append(s)
    return out


def positions():
    """A special character at every position of 7 to 17 byte strings (the
    CSV writer scans words of eight bytes)."""
    out = []
    for n in range(7, 18):
        for i in range(n):
            for ch in ",\"\r\n\t":
                out.append("abcdefghijklmnopq"[:i] + ch + "rstuvwxyzABCDEFGH"[:n - i - 1])
    return out


def all_strings():
    fixed = (NUMBERS + WORDS + TIMESTAMPS + SYNTAX + CSV + CONTROL + UNICODE +
             LONG + positions())
    seen, out = set(), []
    for s in fixed + random_cases():
        if s not in seen:
            seen.add(s)
            out.append(s)
    return out


RETENTION = ["30", "0", "-1", "1.5", "0.1", "1e3", "1E-2", "2.5e+10",
             "-0", "-0.0", "12345678901234567890123", "1e400", "7"]

FIELDS = ["id", "name", "config.addonVersion", "customDestinationId",
          "config.additionalDestinations[0].destinationId"]


def record(s, i):
    """A valid backup record holding s in every string field."""
    rt = RETENTION[i % len(RETENTION)]
    dests = ('[{"destinationId":%s,"retentionTime":%s,"type":"custom"},'
             '{"destinationId":"plain","type":"custom"}]') % (json.dumps(s), rt)
    return ('{"data":{"id":%s,"name":%s,"status":"failed",'
            '"createdAt":"2021-01-20T11:19:53.175Z","config":{"size":"1",'
            '"addonVersion":%s,"additionalDestinations":%s},'
            '"customDestinationId":%s}}' % (
                json.dumps(s), json.dumps(s), json.dumps(s), dests,
                json.dumps(s)))


def write_ndjson(path):
    """Writes one record per string; returns the number of strings."""
    strings = all_strings()
    with open(path, "w", encoding="utf-8") as f:
        for i, s in enumerate(strings):
            f.write(record(s, i) + "\n")
    return len(strings)
