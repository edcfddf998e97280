"""Benchmark what e-invoices add to an issue, and one full check with the official rules.

Prints JSON (medians of 20 warm runs on the sample one-page, 8-line invoice to a business,
output.samples.sample_invoice_view, the same one bench/pdf_bench.py renders):
- pdf_plain_render_ms: the PDF as an invoice was frozen before e-invoices
  (``render_document(view)``);
- pdf_pdfa3_render_ms: the same as PDF/A-3b (``render_document(view, pdf_variant="pdf/a-3b")``),
  rendered alternately with the plain one so both see the same machine load;
- einvoice_xml_ms: the CII XML and its XSD check (``domain.billing.einvoicing.xml_of`` does
  exactly ``cii_xml`` + ``check_xsd``);
- facturx_embed_ms: attaching it (``facturx.embed``: the factur-x package, then the PDF's Info
  dictionary rewritten from its XMP with pypdf);
- pdf_facturx_extra_ms: what issuing with Factur-X adds to today's issue, the sum
  (pdf_pdfa3_render_ms - pdf_plain_render_ms) + einvoice_xml_ms + facturx_embed_ms
  (target: 20 ms or less). Storing the XML row is one more INSERT of ~10 kB in a transaction
  that already writes the PDF: not measured here;
- the same four in CPU time of the process (``*_cpu_ms``), steadier on a shared machine, and
  pdf_facturx_extra_vs_render, the extra CPU as a share of the plain render's;
- einvoice_check_ms: one full check (XSD + EN 16931 + BR-FR schematrons, Saxon-HE), warm;
  einvoice_check_cold_ms: the first one in a fresh process (stylesheets compiled).

Usage: .venv/bin/python bench/einvoice_bench.py [--runs 20]
(`make bench` runs the same measure() as part of bench/run.py.)
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from output import pdf  # noqa: E402
from output.einvoice import check, facturx  # noqa: E402
from output.einvoice.cii import cii_xml  # noqa: E402
from output.samples import sample_invoice_view  # noqa: E402

COLD_CHECK = """
import sys, time
sys.path.insert(0, {root!r})
from output.einvoice import check
from output.einvoice.cii import cii_xml
from output.samples import sample_invoice_view
xml = cii_xml(sample_invoice_view(professional=True))
start = time.perf_counter()
assert check.check(xml).ok
print((time.perf_counter() - start) * 1000)
"""


def _median_ms(func, runs: int, warmup: int = 2, clock=time.perf_counter) -> float:
    for _ in range(warmup):
        func()
    samples = []
    for _ in range(runs):
        start = clock()
        func()
        samples.append((clock() - start) * 1000)
    return round(statistics.median(samples), 1)


def _alternate_ms(first, second, runs: int, clock=time.perf_counter) -> tuple[float, float]:
    """Medians of two functions timed alternately (same load for both)."""
    first(), second()
    a, b = [], []
    for _ in range(runs):
        for func, samples in ((first, a), (second, b)):
            start = clock()
            func()
            samples.append((clock() - start) * 1000)
    return round(statistics.median(a), 1), round(statistics.median(b), 1)


def measure(runs: int = 20) -> dict:
    """The figures above, `runs` warm runs each."""
    view = sample_invoice_view(professional=True)
    xml = cii_xml(view)
    check.warm_up()
    assert check.check(xml).ok, "the sample invoice must be a valid e-invoice"
    def xml_and_xsd():
        data = cii_xml(view)
        assert not check.check_xsd(data)

    results = {}
    # Wall-clock medians, and the same in CPU time of this process (what the issue costs the
    # server, less sensitive to other work on a shared machine).
    for suffix, clock in (("ms", time.perf_counter), ("cpu_ms", time.process_time)):
        with warnings.catch_warnings():
            # WeasyPrint's PDF/A mode leaves its sRGB profile file to the garbage collector.
            warnings.simplefilter("ignore", ResourceWarning)
            plain, pdfa_render = _alternate_ms(lambda: pdf.render_document(view),
                                               lambda: pdf.render_document(view, **facturx.RENDER_OPTIONS), runs,
                                               clock)
            pdfa = pdf.render_document(view, **facturx.RENDER_OPTIONS)
        xml_ms = _median_ms(xml_and_xsd, runs, clock=clock)
        embed_ms = _median_ms(lambda rendered=pdfa: facturx.embed(rendered, xml, check_xsd=False), runs, clock=clock)
        results.update({
            f"pdf_plain_render_{suffix}": plain, f"pdf_pdfa3_render_{suffix}": pdfa_render,
            f"einvoice_xml_{suffix}": xml_ms, f"facturx_embed_{suffix}": embed_ms,
            f"pdf_facturx_extra_{suffix}": round(pdfa_render - plain + xml_ms + embed_ms, 1),
        })
    # The share of today's render the Factur-X adds: comparable across machine loads.
    results["pdf_facturx_extra_vs_render"] = round(
        results["pdf_facturx_extra_cpu_ms"] / results["pdf_plain_render_cpu_ms"], 3)
    results["einvoice_check_ms"] = _median_ms(lambda: check.check(xml), runs)
    cold = subprocess.run([sys.executable, "-c", COLD_CHECK.format(root=str(ROOT))], capture_output=True, text=True,
                          check=True)
    results["einvoice_check_cold_ms"] = round(float(cold.stdout.strip().splitlines()[-1]), 1)
    results["einvoice_runs"] = runs
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    print(json.dumps(measure(args.runs), indent=2))


if __name__ == "__main__":
    main()
