"""Assemble bench/RESULTS.md from the results file each benchmark writes (bench/RESULTS-*.md).

    .venv/bin/python bench/collect.py

`make bench` runs it last. The header says when and on what machine (cores and memory from
/proc/meminfo, CPU model, Python); then each benchmark's own file follows, its headings moved
one level down, with the date it was measured (its files are kept from earlier runs when a
benchmark was not run this time, and say so).
"""

import os
import platform
import re
from datetime import UTC, datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "RESULTS.md"
# The hand-written summary against the goals first, then in the order `make bench` runs them;
# any other RESULTS-*.md follows.
ORDER = ["summary", "demo", "escalation", "pages", "reports"]


def _meminfo() -> str:
    try:
        fields = dict(line.split(":", 1) for line in Path("/proc/meminfo").read_text().splitlines())
    except OSError:
        return "memory unknown"
    total = int(fields["MemTotal"].split()[0]) / 2**20
    available = int(fields["MemAvailable"].split()[0]) / 2**20
    return f"{total:.1f} GiB memory ({available:.1f} GiB available now)"


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _load() -> str:
    try:
        one, five, _ = os.getloadavg()
    except OSError:
        return ""
    return f", load average {one:.1f} / {five:.1f} (1 / 5 min) when collected"


def main() -> None:
    files = sorted(BENCH.glob("RESULTS-*.md"))
    rank = {name: i for i, name in enumerate(ORDER)}
    files.sort(key=lambda p: (rank.get(p.stem.removeprefix("RESULTS-"), len(ORDER)), p.name))
    parts = [
        "# Benchmark results",
        "",
        f"Collected {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `make bench` (`bench/collect.py`) "
        f"on {_cpu()}, {os.cpu_count()} cores, {_meminfo()}, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}{_load()}.",
        "",
        "Each benchmark compares its figures with a baseline measured in the same run on the same "
        "machine, so the **ratios** are what to compare across machines and runs: the absolute "
        "figures move with the hardware and with whatever else the machine is doing (this one "
        "has 2 cores shared with other work, so they are noisy). How each benchmark works, and "
        "what bounds its figures, is in [README.md](README.md).",
        "",
        "| benchmark | results file | measured |",
        "|---|---|---|",
    ]
    sections = []
    for path in files:
        text = path.read_text()
        measured = re.search(r"Measured (\d{4}-\d\d-\d\d \d\d:\d\d) UTC", text)
        when = measured.group(1) + " UTC" if measured else "see the file"
        title = next((x[2:] for x in text.splitlines() if x.startswith("# ")), path.stem)
        parts.append(f"| {title} | [{path.name}]({path.name}) | {when} |")
        # Headings one level down, so that each file is a section of this one.
        sections.append(re.sub(r"^(#+) ", r"#\1 ", text.strip(), flags=re.MULTILINE))
    text = "\n".join(parts) + "\n\n" + "\n\n".join(sections) + "\n"
    RESULTS.write_text(text)
    print(f"Wrote {RESULTS.relative_to(BENCH.parent)} from {len(files)} results files.")


if __name__ == "__main__":
    main()
