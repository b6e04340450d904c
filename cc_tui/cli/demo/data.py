"""Realistic demo and benchmark segments, generated with Polars expressions only.

Every value is a pure function of ``(seed, row number)``: Polars' ``hash(seed)`` of the global row
number gives independent pseudo-random draws, so there is no Python work per row, chunks can be
generated in any order, and the same seed writes the same file (with the same Polars version).
Rows are built in lazy chunks of at most 500,000 and streamed to disk by Polars' sink writers, so
memory stays flat however many rows are asked for.

Each row is one of: a clean contact (sometimes upper-cased or padded with spaces), a missing
e-mail (null, an empty CSV field), a malformed e-mail (no ``@``, a space, ``..``, no top-level
domain, ``@@``), or a duplicate: the e-mail of an earlier row, re-cased or padded, so only a
normalised comparison catches it. The counts in :class:`DemoSegmentStats` are exact.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Literal

import polars as pl

__all__ = [
    "CHUNK_ROWS",
    "DEMO_COLUMNS",
    "DemoFormat",
    "DemoSegmentStats",
    "write_demo_segment",
    "write_demo_segments",
]

DemoFormat = Literal["csv", "parquet", "ndjson", "csv.gz"]
CHUNK_ROWS = 500_000
# fmt: off
DEMO_COLUMNS = (
    "customer_id", "email", "first_name", "last_name", "job_title", "company", "city",
    "country", "loyalty_tier", "lifetime_value", "signup_date",
)
# fmt: on
# Share of the main demo segment's size that the VIP segment has, and its bounds.
VIP_SHARE = 0.1
VIP_MIN_ROWS = 100
VIP_MAX_ROWS = 10_000
_CUSTOMER_ID_DIGITS = 10
_UNIFORM_BITS = 1 << 24
_SIGNUP_START = date(2015, 1, 1)
_SIGNUP_DAYS = 3650
_MAX_LIFETIME_VALUE = 5000.0
_GZIP_LEVEL = 1  # speed over size: demo files are throw-away
# Clean rows: share shown upper-cased, and share padded with spaces (normalisation matters).
_UPPER_SHARE = 0.03
_PADDED_SHARE = 0.02

# Salts give each random draw its own hash stream.
_KIND, _TARGET_A, _TARGET_B, _STYLE, _FIRST, _LAST, _DOMAIN, _PATTERN = range(8)
_JOB, _COMPANY, _CITY, _TIER, _VALUE, _SIGNUP, _DECOR = range(8, 15)

# fmt: off
FIRST_NAMES = (
    "José", "Zoë", "Łukasz", "Anna", "John", "Maria", "Wei", "Aisha", "Liam", "Olivia",
    "Mohammed", "Sofia", "Chloé", "Björn", "Siobhán", "Hiroshi", "Priya", "Mateo", "Emma", "Noah",
    "Ingrid", "Dmitri", "Fatima", "Lucas", "Amélie", "Søren", "Kwame", "Yuki", "Ananya", "Carlos",
    "Élodie", "Giulia", "Oğuz", "Renée", "Sven", "Tomás", "Nadia", "Ravi", "Helga", "Jürgen",
    "Agnieszka", "Ethan", "Mia", "Camille", "Leon", "Isabella", "Mehmet", "Chen", "Laila", "Pedro",
)
LAST_NAMES = (
    "Müller", "O'Brien", "García", "Smith", "Nowak", "Rossi", "Dubois", "Kowalski", "Jensen",
    "Nakamura", "Johnson", "Fernández", "Schröder", "Lefèvre", "Wójcik", "Andersson",
    "Papadopoulos", "Okafor", "Singh", "Kim", "Nguyen", "Van der Berg", "Da Silva", "MacLeod",
    "Ødegaard",
    "Y\u0131lmaz", "Horváth", "Dvořák", "Brown", "Martin", "Bernard", "Costa", "Silva", "Patel",
    "Tanaka", "Wang", "Li", "Hansen", "Ivanova", "Moreau", "Becker", "Öztürk", "Kelly",
    "Murphy", "Rodríguez", "López", "Weiß", "Fischer", "Novák", "Håkansson",
)
DOMAINS = (
    "gmail.com", "gmail.com", "gmail.com", "gmail.com", "yahoo.com", "yahoo.com", "outlook.com",
    "outlook.com", "hotmail.com", "icloud.com", "aol.com", "protonmail.com", "gmx.de", "web.de",
    "t-online.de", "orange.fr", "free.fr", "libero.it", "btinternet.com", "yahoo.co.uk",
    "mail.ru", "wp.pl", "seznam.cz", "comcast.net", "acme-corp.com", "northwind.example.org",
)
JOB_TITLES = (
    "Marketing Manager", "Software Engineer", "Sales Director", "Account Executive", "Nurse",
    "Teacher", "Data Analyst", "Chief Executive Officer", "Product Owner", "Pharmacist",
    "Architect", "Accountant", "Customer Success Lead", "Operations Manager", "Designer",
    "Student", "Consultant", "HR Business Partner", "Chef", "Electrician",
)
COMPANIES = (
    "Acme Corp", "Müller & Söhne GmbH", "Café Olé SARL", "Northwind Traders", "Globex",
    "Initech", "Umbrella Health", "Stark Industries", "Nordisk Design A/S", "Łódź Logistics",
    "Contoso Ltd", "Fabrikam Inc", "Tailspin Toys", "Wayne Enterprises", "Soylent Foods",
    "Hooli", "Pied Piper", "Vandelay Industries", "Dunder Mifflin", "Bluth Company",
)
CITIES = (
    ("Boston", "US"), ("Chicago", "US"), ("Austin", "US"), ("Toronto", "CA"), ("Montréal", "CA"),
    ("London", "GB"), ("Dublin", "IE"), ("Paris", "FR"), ("Lyon", "FR"), ("Berlin", "DE"),
    ("München", "DE"), ("Zürich", "CH"), ("Wien", "AT"), ("Kraków", "PL"), ("Praha", "CZ"),
    ("København", "DK"), ("Malmö", "SE"), ("Oslo", "NO"), ("Madrid", "ES"), ("São Paulo", "BR"),
    ("México", "MX"), ("Tokyo", "JP"), ("Seoul", "KR"), ("Mumbai", "IN"), ("Sydney", "AU"),
    ("İstanbul", "TR"), ("Lagos", "NG"), ("Milano", "IT"), ("Amsterdam", "NL"), ("Lisboa", "PT"),
)
# Repeats weight the draw: about half Bronze, a twentieth Platinum.
LOYALTY_TIERS = ("Bronze",) * 10 + ("Silver",) * 6 + ("Gold",) * 3 + ("Platinum",)
# fmt: on
_INVALID_STYLES = 5
_DUPLICATE_STYLES = 3


@dataclass(frozen=True, slots=True)
class DemoSegmentStats:
    """What :func:`write_demo_segment` wrote; the counts are exact (from the same draws).

    ``duplicate`` rows repeat the e-mail of an earlier row: of this file, or with ``start_id``
    > 0 possibly of a file written before with the same seed and shares.
    """

    path: Path
    format: str
    rows: int
    invalid: int
    missing: int
    duplicate: int


def _ascii_local(name: str) -> str:
    """``O'Brien`` -> ``obrien``, ``Łukasz`` -> ``lukasz``: the e-mail spelling of a name."""
    special = str.maketrans({"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "ß": "ss", "\u0131": "i"})
    plain = unicodedata.normalize("NFKD", name.translate(special))
    return "".join(c for c in plain.encode("ascii", "ignore").decode() if c.isalnum()).lower()


def _uniform(key: pl.Expr, seed: int, salt: int) -> pl.Expr:
    """A pseudo-random number in [0, 1) for each value of ``key``."""
    bits = key.hash(seed * 64 + salt) % _UNIFORM_BITS
    return bits.cast(pl.Float64) / _UNIFORM_BITS


def _pick(values: tuple[str, ...], key: pl.Expr, seed: int, salt: int) -> pl.Expr:
    """A pseudo-random one of ``values`` for each value of ``key``."""
    index = (key.hash(seed * 64 + salt) % len(values)).cast(pl.Int64)
    return pl.lit(pl.Series(values, dtype=pl.String)).gather(index)


@dataclass(frozen=True, slots=True)
class _Shares:
    missing: float
    invalid: float
    duplicate: float

    def check(self, rows: int, start_id: int) -> None:
        """ValueError unless the arguments describe a file that can be written."""
        if rows < 0 or start_id < 0 or min(self.missing, self.invalid, self.duplicate) < 0:
            raise ValueError("rows, start_id and the shares must not be negative")
        if self.duplicate_end > 1:
            raise ValueError("missing_share + invalid_share + duplicate_share must be at most 1")

    @property
    def missing_end(self) -> float:
        return self.missing

    @property
    def invalid_end(self) -> float:
        return self.missing + self.invalid

    @property
    def duplicate_end(self) -> float:
        return self.missing + self.invalid + self.duplicate


_FIRST_LOCAL = tuple(_ascii_local(name) for name in FIRST_NAMES)
_LAST_LOCAL = tuple(_ascii_local(name) for name in LAST_NAMES)
# E-mail pieces, looked up by index (see _email_choices). Local parts are first.last12,
# flast12, first_last12 or last.first12 (by "pattern"); the lead piece is a first name, an
# initial or a last name, the tail a last or a first name; upper-case copies follow each table.
_LEAD = _FIRST_LOCAL + tuple(name[0] for name in _FIRST_LOCAL) + _LAST_LOCAL
_TAIL = _LAST_LOCAL + _FIRST_LOCAL
_SEPARATORS = (".", "", "_", ".")
_PADS = ("", " ", "  ")
# "@" as it should be, left out, after a space, doubled; malformed style -> which one.
_ATS = ("@", "", " @", "@@")
_AT_BY_STYLE = pl.lit(pl.Series((1, 2, 0, 0, 3), dtype=pl.Int64))
# Domain variants, in this order in _DOMAIN_VARIANTS.
_AS_IS, _UPPER, _DOUBLE_DOT, _NO_TLD = range(4)
_DOMAIN_VARIANTS = (
    DOMAINS
    + tuple(domain.upper() for domain in DOMAINS)
    + tuple(domain.replace(".", "..", 1) for domain in DOMAINS)
    + tuple(domain.split(".", 1)[0] for domain in DOMAINS)
)
_SCHEMA = {name: pl.String for name in DEMO_COLUMNS} | {
    "lifetime_value": pl.Float64,
    "signup_date": pl.Date,
}
# The VIP demo segment repeats this share of e-mails, mostly from the main segment.
VIP_DUPLICATE_SHARE = 0.05
NEW_SUBSCRIBERS_SHARE = 0.02
NEW_SUBSCRIBERS_MIN_ROWS = 50
NEW_SUBSCRIBERS_MAX_ROWS = 5_000


def write_demo_segment(
    path: Path,
    rows: int,
    *,
    seed: int = 0,
    fmt: DemoFormat = "csv",
    invalid_share: float = 0.02,
    duplicate_share: float = 0.03,
    missing_share: float = 0.01,
    start_id: int = 0,
) -> DemoSegmentStats:
    """Write ``rows`` demo customers to ``path`` as ``fmt``; see the module docstring.

    ``start_id`` is the first row number (and customer id): a file started after another one
    written with the same seed may repeat that file's e-mails as duplicates, which is how the
    demo segments overlap. That holds while the earlier file's shares add up to no more than
    this one's (a row this file copies is then clean in the earlier file too).
    """
    shares = _Shares(missing=missing_share, invalid=invalid_share, duplicate=duplicate_share)
    shares.check(rows, start_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    starts = range(start_id, start_id + rows, CHUNK_ROWS)
    chunks = [_flags(s, min(CHUNK_ROWS, start_id + rows - s), seed, shares) for s in starts]
    if not chunks:
        _sink(pl.LazyFrame(schema=_SCHEMA), path, fmt)
        return DemoSegmentStats(path, fmt, 0, 0, 0, 0)
    _sink(pl.concat([c.pipe(_rows, seed) for c in chunks]), path, fmt)
    counts = (
        pl.concat(chunks)
        .select(
            missing=pl.col("missing").sum(),
            invalid=pl.col("invalid").sum(),
            duplicate=pl.col("target").is_not_null().sum(),
        )
        .collect()
    )
    return DemoSegmentStats(
        path=path,
        format=fmt,
        rows=rows,
        invalid=int(counts["invalid"][0]),
        missing=int(counts["missing"][0]),
        duplicate=int(counts["duplicate"][0]),
    )


def write_demo_segments(folder: Path, rows: int, *, seed: int = 0) -> tuple[DemoSegmentStats, ...]:
    """The demo's segments: ``customers.csv`` (``rows`` rows), ``vip.parquet`` and
    ``new-subscribers.ndjson``, smaller, repeating some customers' e-mails so cross-segment
    de-duplication shows.
    """
    vip_rows = _clamp(round(rows * VIP_SHARE), VIP_MIN_ROWS, VIP_MAX_ROWS)
    new_rows = _clamp(
        round(rows * NEW_SUBSCRIBERS_SHARE), NEW_SUBSCRIBERS_MIN_ROWS, NEW_SUBSCRIBERS_MAX_ROWS
    )
    customers = write_demo_segment(folder / "customers.csv", rows, seed=seed)
    vip = write_demo_segment(
        folder / "vip.parquet",
        vip_rows,
        seed=seed,
        fmt="parquet",
        start_id=rows,
        duplicate_share=VIP_DUPLICATE_SHARE,
    )
    new = write_demo_segment(
        folder / "new-subscribers.ndjson",
        new_rows,
        seed=seed,
        fmt="ndjson",
        start_id=rows + vip_rows,
        duplicate_share=VIP_DUPLICATE_SHARE,
    )
    return customers, vip, new


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, value))


def _sink(frame: pl.LazyFrame, path: Path, fmt: DemoFormat) -> None:
    if fmt == "csv":
        frame.sink_csv(path)
    elif fmt == "csv.gz":
        frame.sink_csv(path, compression="gzip", compression_level=_GZIP_LEVEL)
    elif fmt == "parquet":
        frame.sink_parquet(path)
    elif fmt == "ndjson":
        frame.sink_ndjson(path)
    else:
        raise ValueError(f"unknown demo format {fmt!r}: use csv, csv.gz, parquet or ndjson")


def _flags(start: int, rows: int, seed: int, shares: _Shares) -> pl.LazyFrame:
    """Row numbers and what each row is: missing, invalid, or a copy of row ``target``."""
    g = pl.col("g")
    kind = _uniform(g, seed, _KIND)
    in_band = (kind >= shares.invalid_end) & (kind < shares.duplicate_end)
    first, second = _earlier(g, seed, _TARGET_A), _earlier(g, seed, _TARGET_B)
    # Copy only clean rows, so a duplicate repeats a real e-mail; two tries, else stay clean.
    target = (
        pl.when(in_band & _is_clean(first, seed, shares))
        .then(first)
        .when(in_band & _is_clean(second, seed, shares))
        .then(second)
    )
    return (
        pl.LazyFrame()
        .select(pl.int_range(start, start + rows, dtype=pl.Int64).alias("g"))
        .with_columns(
            missing=kind < shares.missing_end,
            invalid=(kind >= shares.missing_end) & (kind < shares.invalid_end),
            target=pl.when(g > 0).then(target),
        )
    )


def _earlier(g: pl.Expr, seed: int, salt: int) -> pl.Expr:
    """A pseudo-random earlier row number in [0, g)."""
    spread = (g.hash(seed * 64 + salt) % (1 << 62)).cast(pl.Int64)
    return spread % pl.max_horizontal(g, pl.lit(1))


def _is_clean(row: pl.Expr, seed: int, shares: _Shares) -> pl.Expr:
    return _uniform(row, seed, _KIND) >= shares.duplicate_end


def _rows(flags: pl.LazyFrame, seed: int) -> pl.LazyFrame:
    """The demo columns; a duplicate row is the person it copies, entered again."""
    p, g = pl.col("p"), pl.col("g")
    return (
        flags.with_columns(p=pl.coalesce(pl.col("target"), g))
        .with_columns(
            first=_index(p, seed, _FIRST, len(FIRST_NAMES)),
            last=_index(p, seed, _LAST, len(LAST_NAMES)),
            domain=_index(p, seed, _DOMAIN, len(DOMAINS)),
            city=_index(p, seed, _CITY, len(CITIES)),
            pattern=_index(p, seed, _PATTERN, len(_SEPARATORS)),
            style=_index(g, seed, _STYLE, _INVALID_STYLES * _DUPLICATE_STYLES),
            decor=_uniform(g, seed, _DECOR),
        )
        .with_columns(_email_choices())
        .select(
            customer_id=g.cast(pl.String).str.zfill(_CUSTOMER_ID_DIGITS),
            email=_email(),
            first_name=_table(FIRST_NAMES, pl.col("first")),
            last_name=_table(LAST_NAMES, pl.col("last")),
            job_title=_pick(JOB_TITLES, p, seed, _JOB),
            company=_pick(COMPANIES, p, seed, _COMPANY),
            city=_table(tuple(city for city, _ in CITIES), pl.col("city")),
            country=_table(tuple(country for _, country in CITIES), pl.col("city")),
            loyalty_tier=_pick(LOYALTY_TIERS, p, seed, _TIER),
            lifetime_value=(_uniform(g, seed, _VALUE).pow(3) * _MAX_LIFETIME_VALUE).round(2),
            signup_date=pl.lit(_SIGNUP_START)
            + pl.duration(days=_index(g, seed, _SIGNUP, _SIGNUP_DAYS)),
        )
    )


def _index(key: pl.Expr, seed: int, salt: int, size: int) -> pl.Expr:
    """A pseudo-random index in [0, size) for each value of ``key``."""
    return (key.hash(seed * 64 + salt) % size).cast(pl.Int64)


def _table(values: tuple[str, ...], index: pl.Expr) -> pl.Expr:
    return pl.lit(pl.Series(values, dtype=pl.String)).gather(index)


def _email_choices() -> list[pl.Expr]:
    """Which piece of each table every row's e-mail takes (integers: cheap to compute).

    Assembling the e-mail from looked-up pieces leaves one ``concat_str`` as the only string
    work per row; a ``when`` chain of whole variants would build every variant for every row.
    """
    invalid, duplicate = pl.col("invalid"), pl.col("target").is_not_null()
    plain = ~pl.col("missing") & ~invalid & ~duplicate
    broken, retyped = pl.col("style") % _INVALID_STYLES, pl.col("style") % _DUPLICATE_STYLES
    decor, pattern = pl.col("decor"), pl.col("pattern")
    upper = ((duplicate & (retyped == 0)) | (plain & (decor < _UPPER_SHARE))).cast(pl.Int64)
    padded = plain & (decor >= _UPPER_SHARE) & (decor < _UPPER_SHARE + _PADDED_SHARE)
    first, last = pl.col("first"), pl.col("last")
    lead = (
        pl.when(pattern == 1)
        .then(first + len(FIRST_NAMES))
        .when(pattern == 3)
        .then(last + 2 * len(FIRST_NAMES))
        .otherwise(first)
    )
    domain_variant = (
        pl.when(invalid & (broken == 2))
        .then(_DOUBLE_DOT)
        .when(invalid & (broken == 3))
        .then(_NO_TLD)
        .when((upper == 1) | (duplicate & (retyped == 2)))
        .then(_UPPER)
        .otherwise(_AS_IS)
    )
    return [
        (lead + upper * len(_LEAD)).alias("lead"),
        (
            pl.when(pattern == 3).then(first + len(LAST_NAMES)).otherwise(last) + upper * len(_TAIL)
        ).alias("tail"),
        pl.when(invalid).then(_AT_BY_STYLE.gather(broken)).otherwise(0).alias("at"),
        (pl.col("domain") + domain_variant * len(DOMAINS)).alias("domain_variant"),
        pl.when(duplicate & (retyped == 1)).then(2).when(padded).then(1).otherwise(0).alias("left"),
        pl.when(duplicate & (retyped == 1)).then(1).otherwise(0).alias("right"),
    ]


def _email() -> pl.Expr:
    """The e-mail as written: null when missing, else its pieces joined."""
    return (
        pl.when(pl.col("missing"))
        .then(pl.lit(None, dtype=pl.String))
        .otherwise(
            pl.concat_str(
                _table(_PADS, pl.col("left")),
                _table(_LEAD + tuple(x.upper() for x in _LEAD), pl.col("lead")),
                _table(_SEPARATORS, pl.col("pattern")),
                _table(_TAIL + tuple(x.upper() for x in _TAIL), pl.col("tail")),
                pl.col("p").cast(pl.String),  # the person's row number keeps e-mails unique
                _table(_ATS, pl.col("at")),
                _table(_DOMAIN_VARIANTS, pl.col("domain_variant")),
                _table(_PADS, pl.col("right")),
            )
        )
    )
