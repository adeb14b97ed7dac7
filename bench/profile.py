"""Summarise py-spy's collapsed stacks (``BENCH_PROFILE=1 make bench`` writes them to var/bench/profiles/).

``python -m bench.profile var/bench/profiles/open311_get.txt`` prints the functions that hold the most samples,
by own time and by inclusive time, so the slow path of a figure reads in a few lines.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

__all__ = ["summarise"]


def summarise(text: str, *, top: int = 25, only: str = "") -> str:
    """Own and inclusive sample counts per frame; ``only`` keeps inclusive frames whose name contains it."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in text.splitlines():
        stack, _sep, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        samples = int(count)
        total += samples
        frames = [f for f in stack.split(";") if f]
        frames = frames[1:] if frames and frames[0].startswith("process ") else frames
        if not frames:
            continue
        own[frames[-1]] += samples
        for frame in set(frames):
            inclusive[frame] += samples
    if not total:
        return "no samples"
    lines = [f"{total} samples", "", "own time:"]
    lines += [f"  {100 * n / total:5.1f} %  {frame}" for frame, n in own.most_common(top)]
    lines += ["", "inclusive time" + (f" (frames containing {only!r})" if only else "") + ":"]
    chosen = [(f, n) for f, n in inclusive.most_common() if only in f][:top]
    lines += [f"  {100 * n / total:5.1f} %  {frame}" for frame, n in chosen]
    return "\n".join(lines)


if __name__ == "__main__":
    for name in sys.argv[1:]:
        print(f"== {name}")
        print(summarise(Path(name).read_text(), only="cityops"))
