"""Wording helpers: money, shares and intervals written the way an analyst reads them.

Everything here is a pure function of numbers and strings; no pandas objects leak out.
"""

from __future__ import annotations

import math
import re

import numpy as np

from model.inputs.parameters import short_description

__all__ = [
    "ABBREVIATIONS",
    "SETTING_LABELS",
    "FirstUse",
    "count",
    "currency_name",
    "currency_symbol",
    "money",
    "money_interval",
    "number",
    "ordinal",
    "price_base",
    "price_year",
    "setting_label",
    "share",
    "short_description",
    "signed_money",
]

_SYMBOLS = {"USD": "$", "GBP": "£", "EUR": "€"}
_NAMES = {"USD": "US dollars", "GBP": "pounds sterling", "EUR": "euros"}
_SCALES = ((1e12, "tn"), (1e9, "bn"), (1e6, "m"), (1e3, "k"))


def currency_symbol(currency: str) -> str:
    """``"USD 2024"`` -> ``"$"``; unknown codes are kept as a prefix (``"CHF "``)."""
    code = (currency or "USD").split()[0].upper()
    return _SYMBOLS.get(code, code + " ")


def currency_name(currency: str) -> str:
    """``"USD 2024"`` -> ``"US dollars"``; unknown codes are kept (``"CHF"``)."""
    code = (currency or "USD").split()[0].upper()
    return _NAMES.get(code, code)


def price_year(currency: str) -> int | None:
    """The price base year a currency setting names: ``"USD 2024"`` -> 2024; None if it names
    none."""
    years = [int(w) for w in (currency or "").split() if w.isdigit() and len(w) == 4]
    return years[0] if years else None


def price_base(currency: str, horizon_years: int) -> str:
    """Where every money figure of a run stands: its currency, price base year and present-value
    base year, in words.

    Year 0 of the appraisal period is discounted by 1, so it is the present-value base; the
    parameter files date no calendar year for it, so it is read as the price year.

    Examples
    --------
    >>> price_base("USD 2024", 10)[:73]
    'Every money figure is in US dollars at 2024 prices (price base year 2024)'
    """
    name = currency_name(currency)
    year = price_year(currency)
    if year is None:
        return (
            f"Every money figure is in {name}; the currency setting names no price base year. "
            f"Present values are discounted to year 0 of the {horizon_years}-year appraisal "
            "period (the present-value base)."
        )
    return (
        f"Every money figure is in {name} at {year} prices (price base year {year}); present "
        f"values are discounted to year 0 of the {horizon_years}-year appraisal period, read as "
        f"{year} (present-value base year {year}: the parameter files date year 0 by their price "
        f"year); annual figures are in {year} prices."
    )


def money(x: float, currency: str = "USD", digits: int = 3) -> str:
    """Format an amount readably with ``digits`` significant figures.

    Examples
    --------
    >>> money(12.34e9)
    '$12.3bn'
    >>> money(-2.5e6, "GBP 2024")
    '-£2.50m'
    >>> money(0.0)
    '$0'
    """
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    x = float(x)
    if math.isinf(x):
        return "∞" if x > 0 else "-∞"
    sym = currency_symbol(currency)
    sign = "-" if x < 0 else ""
    a = abs(x)
    if a == 0:
        return f"{sym}0"
    for scale, suffix in _SCALES:
        if a >= scale * (1 - 0.5 * 10 ** (1 - digits)):
            return f"{sign}{sym}{_sig(a / scale, digits)}{suffix}"
    return f"{sign}{sym}{_sig(a, digits)}"


def signed_money(x: float, currency: str = "USD") -> str:
    """Money with an explicit sign: ``+$1.20bn`` / ``-$300m``."""
    s = money(x, currency)
    return s if s.startswith("-") or s in ("$0", "n/a") else "+" + s


def _sig(v: float, digits: int) -> str:
    """``v`` (>= ~1) with ``digits`` significant figures, no exponent."""
    v = float(f"{v:.{digits}g}")
    if v >= 10**digits:
        return f"{v:,.0f}"
    decimals = max(0, digits - 1 - math.floor(math.log10(v))) if v > 0 else 0
    return f"{v:.{decimals}f}"


def money_interval(lo: float, hi: float, currency: str = "USD") -> str:
    """A 90% interval, ``"$1.20bn to $4.50bn"``."""
    return f"{money(lo, currency)} to {money(hi, currency)}"


def share(p: float, digits: int = 0) -> str:
    """A probability as a percentage, with one rule for small shares.

    Exactly 0 and 1 are "0%" and "100%"; anything else that would round to them is written
    "<1%" or ">99%" (at ``digits`` decimals), so "0%" only ever means "never".

    Examples
    --------
    >>> share(0.4321)
    '43%'
    >>> share(0.0004), share(0.004), share(0.0)
    ('<1%', '<1%', '0%')
    >>> share(0.9996)
    '>99%'
    >>> share(0.00123, 1)
    '0.1%'
    """
    if p is None or not np.isfinite(p):
        return "n/a"
    p = float(p)
    text = f"{100 * p:.{digits}f}"
    step = 10.0**-digits
    if p > 0 and float(text) == 0:
        return f"<{step:.{digits}f}%"
    if p < 1 and float(text) == 100:
        return f">{100 - step:.{digits}f}%"
    return f"{text}%"


def ordinal(q: float) -> str:
    """A quantile (0-1) as a whole ordinal percentile: "76th", "41st", "2nd", "11th".

    Examples
    --------
    >>> ordinal(0.762), ordinal(0.41), ordinal(0.022), ordinal(0.113), ordinal(0.0004)
    ('76th', '41st', '2nd', '11th', '0th')
    """
    if q is None or not np.isfinite(q):
        return "n/a"
    k = round(100 * float(q))
    suffix = "th" if 10 <= k % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(k % 10, "th")
    return f"{k}{suffix}"


def count(x: float) -> str:
    """A number of entities: a whole number (an average of 18.3 developers reads "18").

    Examples
    --------
    >>> count(18.3), count(12_345.6), count(0.4)
    ('18', '12,346', '0')
    """
    if x is None or not np.isfinite(x):
        return "n/a"
    return f"{round(float(x)):,}"


def number(x: float, digits: int = 3) -> str:
    """A count or plain number with a k/m/bn suffix and ``digits`` significant figures.

    Examples
    --------
    >>> number(1234567)
    '1.23m'
    >>> number(42.0)
    '42'
    >>> number(999_999_999_999)
    '1.00tn'
    >>> number(0.000126)
    '0.000126'
    """
    if x is None or not np.isfinite(x):
        return "n/a"
    x = float(x)
    a = abs(x)
    sign = "-" if x < 0 else ""
    for scale, suffix in _SCALES:
        if a >= scale * (1 - 0.5 * 10 ** (1 - digits)):
            return f"{sign}{_sig(a / scale, digits)}{suffix}"
    if a == 0:
        return "0"
    return f"{x:.{digits}g}"


#: Plain words for every structural setting and its alternatives (model.regulation.spec's
#: STRUCTURAL; meanings from docs/model.md): (what the setting decides, {alternative: words}).
SETTING_LABELS: dict[str, tuple[str, dict[str, str]]] = {
    "standing": (
        "whose costs and benefits count",
        {
            "world": "everyone's, wherever they fall",
            "jurisdiction": "only those borne in the jurisdiction",
        },
    ),
    "deterred": (
        "what a developer deterred by a duty does",
        {
            "relocate": "carries on abroad, out of the rule's reach",
            "exit": "leaves the jurisdiction's market, taking its value and risk there with it",
            "abandon": "stops modifying models altogether",
            "value_lost_risk_stays": (
                "its value is lost but its risk stays (an earlier version's reading, kept for "
                "comparison)"
            ),
        },
    ),
    "entry_response": (
        "how many developers a duty's cost deters",
        {
            "saturating": "a share that levels off as the cost rises",
            "linear_capped": "a share in proportion to the cost, up to all of them",
        },
    ),
    "additionality": (
        "which compliers a rule is credited with",
        {
            "beyond_voluntary": "only those it adds to the voluntary compliers",
            "full_credit": "every complier, voluntary ones included",
        },
    ),
    "horizon_years": ("how many years are appraised", {}),
    "terminal_value": (
        "what is counted after the appraisal period",
        {
            "none": "nothing",
            "perpetuity": "the final year's costs and benefits, continuing for ever",
        },
    ),
    "malicious_reach": (
        "which rules reach malicious modifiers",
        {
            "upstream_only": "only technical controls on upstream developers",
            "all_rules": "every rule, as far as it reaches anyone in the jurisdiction",
        },
    ),
    "liability": (
        "how far liability deters",
        {
            "declared": "a declared share of risk deterred",
            "derived": "as far as the damages developers expect outweigh their cost of care",
        },
    ),
    "upstream_reach": (
        "where duties on upstream developers and model hubs change models",
        {
            "worldwide": "everywhere: firms serving the jurisdiction change their models for all",
            "jurisdiction": "only for modifiers in the jurisdiction (versions fenced off by place)",
        },
    ),
    "closed_segment": (
        "what stays behind closed models' interfaces",
        {
            "stays_closed": "all closed-model risk: capability stays closed",
            "diffuses": "only part: closed capability reaches open weights within months",
        },
    ),
    "upstream_withdrawal": (
        "what upstream firms facing the jurisdiction's upstream duties do",
        {
            "complies": "all comply",
            "withdraws": "some stop serving it: their models' value is lost there, their risk "
            "stays",
        },
    ),
}


def setting_label(setting: str, alternative: object) -> tuple[str, str]:
    """(what a structural setting decides, its alternative) in plain words; a setting or
    alternative without words has its underscores read as spaces.

    Examples
    --------
    >>> setting_label("deterred", "abandon")
    ('what a developer deterred by a duty does', 'stops modifying models altogether')
    >>> setting_label("horizon_years", 20)
    ('how many years are appraised', '20')
    """
    what, words = SETTING_LABELS.get(setting, (setting.replace("_", " "), {}))
    return what, words.get(str(alternative), str(alternative).replace("_", " "))


#: Abbreviations the report may use on its first screen: (spelled out, what it means in one
#: clause). Spelled out at first use by :class:`FirstUse`.
ABBREVIATIONS: dict[str, tuple[str, str]] = {
    "P(best)": (
        "probability of being best",
        "the share of simulated worlds in which an approach has the highest net benefit",
    ),
    "EVPI": (
        "expected value of perfect information",
        "what resolving all uncertainty before deciding would be worth",
    ),
    "EVPPI": (
        "expected value of partial perfect information",
        "what resolving one input's uncertainty before deciding would be worth",
    ),
    "CVaR": (
        "conditional value at risk",
        "the average net benefit in the worst 5% of simulated worlds",
    ),
    "PRIM": (
        "patient rule induction method",
        "a search for the ranges of the inputs in which another approach wins",
    ),
    "SE": ("standard error", "the estimate's own sampling noise"),
    "PV": ("present value", "future money discounted to today"),
    "KYC": ("know-your-customer", "checks on who is modifying a model"),
    "API": ("application programming interface", "the service through which models are used"),
    "GPAI": ("general-purpose AI", "the EU AI Act's term for foundation models"),
    "QALY": ("quality-adjusted life year", "a year of life in full health"),
    "VSL": ("value of a statistical life", "what society pays to prevent one death"),
    "STPR": ("social time preference rate", "the Green Book's discount rate"),
    "OMB": ("Office of Management and Budget", "the US body that issues appraisal guidance"),
    "NCII": ("non-consensual intimate imagery", "intimate images made or shared without consent"),
    "LLM": ("large language model", "an AI model trained on text"),
}


class FirstUse:
    """Spells out each abbreviation of :data:`ABBREVIATIONS` at its first use in the texts it is
    called on, in the order it is called (a template's document order), with its meaning:
    ``"ABBR"`` becomes ``"spelled out (ABBR: meaning)"``, ``"(ABBR)"`` becomes
    ``"(spelled out, ABBR: meaning)"``; where the text already spells it out just before, it is
    left as it is. One instance per rendered page."""

    def __init__(self) -> None:
        self.spelled: set[str] = set()

    def __call__(self, text: object) -> str:
        text = str(text)
        for abbr, (long, meaning) in ABBREVIATIONS.items():
            if abbr in self.spelled:
                continue
            found = _first(text, abbr)
            if found is None:
                continue
            self.spelled.add(abbr)
            if long.lower() in text[: found.start()].lower()[-(len(long) + 3) :]:
                continue  # already "spelled out (ABBR" in the text itself
            start, end = found.span()
            plural = "s" if text[end : end + 1] == "s" else ""
            end += len(plural)
            if text[start - 1 : start] == "(" and text[end : end + 1] == ")":
                text = f"{text[:start]}{long}{plural}, {abbr}{plural}: {meaning}{text[end:]}"
            else:
                text = f"{text[:start]}{long}{plural} ({abbr}{plural}: {meaning}){text[end:]}"
        return text


def _first(text: str, abbr: str) -> re.Match | None:
    """The first whole-word occurrence of ``abbr`` (or its plural) in ``text``, or None."""
    return re.search(rf"(?<![\w-]){re.escape(abbr)}(?=s?(?!\w))", text)
