"""Timings of the e-invoicing path, for the README (not a test: no wall-clock asserts).

    python -m tests.unit.einvoice.measure

Prints: the first check in a fresh process (cold: Saxon start, both stylesheets compiled,
XSD parsed), the median of 20 warm checks, the median of 20 ``cii_xml`` + ``embed`` on a
one-page invoice (the PDF rendered once beforehand), and checks from two threads.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import threading
import time

COLD = """
import time
t0 = time.perf_counter()
from output.einvoice import check
from output.einvoice.cii import cii_xml
from tests.unit.einvoice import cases
xml = cii_xml(cases.standard_multi_rate())
t1 = time.perf_counter()
report = check.check(xml)
t2 = time.perf_counter()
assert report.ok
print(f"{t1 - t0:.3f} {t2 - t1:.3f}")
"""


def _median_ms(function, runs: int = 20) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    imports, first = (float(x) for x in subprocess.run(
        [sys.executable, "-c", COLD], check=True, capture_output=True, text=True).stdout.split())
    print(f"cold check (fresh process, first call): {first * 1000:.0f} ms (+ {imports * 1000:.0f} ms of imports)")

    import gc
    import warnings

    from output import pdf
    from output.einvoice import check, facturx
    from output.einvoice.cii import cii_xml

    from . import cases

    xml = cii_xml(cases.standard_multi_rate())
    check.check(xml)
    print(f"warm check, XSD + EN 16931 + BR-FR (median of 20): {_median_ms(lambda: check.check(xml)):.1f} ms")
    print(f"  XSD alone (check_xsd, median of 20): {_median_ms(lambda: check.check_xsd(xml)):.2f} ms")

    view = cases.job_site()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        rendered = pdf.render_document(view, **facturx.RENDER_OPTIONS)
        gc.collect()
    print(f"cii_xml (median of 20): {_median_ms(lambda: cii_xml(view)):.2f} ms")
    print(f"cii_xml + embed, one-page invoice (median of 20): "
          f"{_median_ms(lambda: facturx.embed(rendered, cii_xml(view))):.1f} ms")
    print(f"  of which embed without the XSD check: "
          f"{_median_ms(lambda: facturx.embed(rendered, xml, check_xsd=False)):.1f} ms")

    xmls = [cii_xml(build()) for build in cases.ALL.values()]
    start = time.perf_counter()
    for item in xmls * 2:
        check.check(item)
    sequential = time.perf_counter() - start
    start = time.perf_counter()
    threads = [threading.Thread(target=lambda: [check.check(item) for item in xmls]) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(f"{2 * len(xmls)} checks: sequential {sequential:.2f} s, two threads {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    main()
