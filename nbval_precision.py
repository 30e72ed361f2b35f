"""A pytest plugin for nbval: each printed number is compared at the precision it was printed with.

Another CPU rounds the last bits of a float differently (other MKL and ATen kernels, another thread
count, CUDA), so a value printed as 0.8253 here may print as 0.8254 there, and a tensor of ones
that prints as ``tensor([1., 1., 1.])`` here may print as ``tensor([1.0000, 1.0000, 1.0000])``.
This plugin makes nbval accept that, and nothing more, in text outputs (stdout, stderr and
``text/plain``), after nbval's sanitiser has run on both sides:

- the text between numbers must match exactly;
- each decimal number (one with a decimal point, or in scientific notation) must agree with the
  stored one within one unit of the stored number's last printed digit; in scientific notation
  the unit is that of the printed mantissa, so ``3.3e-07`` does not match ``5.7e-07``;
- integers, nan and inf are text: they must match exactly, and so must the count and order of
  the numbers.

It is the rule of pytest's doctest option NUMBER. Everything else nbval compares as before.
Loaded by conftest.py (``pytest_plugins``); ``tools/run_notebooks.py`` uses ``same_when_printed``
to keep a stored output that a fresh run reproduces.
"""
from __future__ import annotations

import copy
import re
from decimal import Decimal

import nbval
from nbval.plugin import IPyNbCell

TESTED_NBVAL = ("0.11",)  # the versions whose compare_outputs this plugin wraps
if not nbval.__version__.startswith(TESTED_NBVAL):
    raise ImportError(f"nbval_precision.py was tested with nbval {', '.join(TESTED_NBVAL)}.x, not {nbval.__version__}; "
                      "install a tested version (requirements.txt) or check the wrapper against the new one")

TEXT_KEYS = ("stdout", "stderr", "text/plain")
# A decimal number: a mantissa with a point ("0.25", "1.", ".5"), an optional exponent, or an integer
# with an exponent ("1e-06"). Not part of a word or a version string ("float32", "2.14.1").
NUMBER = re.compile(r"(?<![\w.])[+-]?(?:(?:\d*\.(?P<fraction>\d+)|\d+\.)(?:[eE](?P<exp1>[+-]?\d+))?"
                    r"|\d+[eE](?P<exp2>[+-]?\d+))(?![\w]|\.\d)")


def unit(number: re.Match) -> Decimal:
    """One unit of the last printed digit of a NUMBER match: 0.0001 for '0.8253', 1e-08 for '3.3e-07'."""
    exponent = int(number["exp1"] or number["exp2"] or 0)
    return Decimal(1).scaleb(exponent - len(number["fraction"] or ""))


def same_when_printed(stored: str, fresh: str) -> tuple[bool, list[str]]:
    """Whether ``fresh`` matches ``stored`` at printed precision, and each number beyond its tolerance."""
    if stored == fresh:
        return True, []
    stored_numbers, fresh_numbers = list(NUMBER.finditer(stored)), list(NUMBER.finditer(fresh))
    if len(stored_numbers) != len(fresh_numbers) or NUMBER.split(stored)[::4] != NUMBER.split(fresh)[::4]:
        return False, []  # other text, or numbers added, removed or moved: nbval's diff shows it
    beyond = [f"{s[0]} (stored) vs {f[0]} (got): allowed ±{unit(s):.0e}"
              for s, f in zip(stored_numbers, fresh_numbers)
              if abs(Decimal(s[0]) - Decimal(f[0])) > unit(s)]
    return not beyond, beyond


def _text_fields(outputs):
    """(output, key) of each text field nbval compares, in the order nbval pairs them."""
    for output in outputs:
        if output.get("output_type") == "stream" and output.get("name") in TEXT_KEYS:
            yield output, "text", output["name"]
        elif "text/plain" in output.get("data", {}):
            yield output.data, "text/plain", "text/plain"


_nbval_compare_outputs = IPyNbCell.compare_outputs


def compare_outputs(self, test, ref, skip_compare=None):
    """nbval's comparison, after each fresh text that matches its stored one at printed precision
    is replaced by the stored text; on a mismatch, the numbers beyond their tolerance are named."""
    test = copy.deepcopy(test)  # the fresh outputs, some of whose texts are replaced below
    fresh_fields, stored_fields = list(_text_fields(test)), list(_text_fields(ref))
    notes = []
    for kind in TEXT_KEYS:
        fresh = [(holder, key) for holder, key, k in fresh_fields if k == kind]
        stored = [holder[key] for holder, key, k in stored_fields if k == kind]
        for (holder, key), stored_text in zip(fresh, stored):
            same, beyond = same_when_printed(self.sanitize(stored_text), self.sanitize(holder[key]))
            if same:
                holder[key] = stored_text
            notes += [f"  {kind}: {line}" for line in beyond]
    if _nbval_compare_outputs(self, test, ref, skip_compare):
        return True
    if notes:
        self.comparison_traceback.append("Numbers beyond one unit of their last printed digit:\n" + "\n".join(notes))
    return False


IPyNbCell.compare_outputs = compare_outputs
