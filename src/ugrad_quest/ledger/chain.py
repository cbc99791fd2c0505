"""The hash chain over the event log.

Each record is {"prev": hash, "event": {...}, "hash": hash}: the hash covers the previous record's
hash, the event (its `seq` number included) and the digest of the event's snapshot, so editing,
removing or reordering an event, or pointing it at other code, breaks the chain from there on.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

GENESIS = "0" * 64


def canonical(value) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def link(prev: str, event: dict) -> str:
    snapshot = event.get("snapshot") or ""
    return hashlib.sha256(b"\n".join([prev.encode("ascii", "replace"), canonical(event),
                                      str(snapshot).encode("ascii", "replace")])).hexdigest()


def build(events: list[dict]) -> list[dict]:
    """Number the events 1..n in order and chain them."""
    records, prev = [], GENESIS
    for seq, event in enumerate(events, start=1):
        event = {**event, "seq": seq}
        digest = link(prev, event)
        records.append({"prev": prev, "event": event, "hash": digest})
        prev = digest
    return records


@dataclass(frozen=True)
class Finding:
    """One thing wrong with a bundle, said precisely enough to find it."""

    kind: str
    """edited, removed, reordered, snapshot-changed, snapshot-missing, xp, badge, malformed, not-confirmed,
    speed-not-confirmed (a speed claim re-measured below its tier's tolerance band on this machine)."""
    message: str
    seq: int | None = None


def describe(event: dict) -> str:
    """A short name for an event, for findings and reports (of whatever types a mangled bundle gives it)."""
    kind = event.get("type")
    quest = as_text(event.get("quest")) or "?"
    if kind == "start":
        return f"start of {quest}"
    if kind == "check":
        completed = event.get("completed")
        done = ", ".join(map(as_text, completed if isinstance(completed, list) else [completed] if completed else []))
        return f"check of {quest}" + (f" that completed {done}" if done else "")
    if kind == "hint":
        index = event.get("hint")
        return f"hint {index + 1 if isinstance(index, int) else '?'} for {quest}/{as_text(event.get('task'))}"
    if kind == "quiz":
        return f"quiz answer to {quest}/{as_text(event.get('question'))}"
    if kind == "xp":
        subject = "/".join(filter(None, [as_text(event.get("quest")), as_text(event.get("subject"))]))
        return f"{as_text(event.get('kind'))} XP for {subject or 'the quest line'} ({as_text(event.get('xp'))} XP)"
    return f"{as_text(kind)} event"


def as_text(value) -> str:
    """A field as a finding names it: text as it is, anything else (a mangled field) short and as JSON has it."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."


def check(records: list, head: str | None, count: int | None) -> list[Finding]:
    """Everything that breaks the chain: edited events, gaps, reordering, a cut-off tail."""
    findings: list[Finding] = []
    seqs: list[int] = []
    previous: dict | None = None
    prev_hash = GENESIS
    for position, record in enumerate(records, start=1):
        event = record.get("event") if isinstance(record, dict) else None
        if not isinstance(event, dict) or not isinstance(event.get("seq"), int) \
                or not isinstance(record.get("hash"), str) or not isinstance(record.get("prev"), str):
            findings.append(Finding("malformed", f"record {position} of the event log is not an event record", None))
            prev_hash = record.get("hash", "") if isinstance(record, dict) else ""
            continue
        seq = event["seq"]
        if link(record["prev"], event) != record["hash"]:
            findings.append(Finding("edited", f"event #{seq} ({describe(event)}) was edited: "
                                    "it no longer matches its hash", seq))
        elif record["prev"] != prev_hash and previous is not None and seq == seqs[-1] + 1:
            findings.append(Finding("edited", f"event #{seqs[-1]} ({describe(previous)}) was edited and given a "
                                    f"new hash: event #{seq} still points to its old one", seqs[-1]))
        seqs.append(seq)
        previous, prev_hash = event, record["hash"]

    for before, seq in zip(seqs, seqs[1:]):
        if seq < before:
            findings.append(Finding("reordered", f"event #{seq} was moved: it comes after event #{before}", seq))
    expected = max(count or 0, max(seqs, default=0))
    for first, last in _gaps(seqs, expected):
        findings.append(Finding("removed", f"event #{first} was removed from the log" if first == last else
                                f"events #{first} to #{last} were removed from the log", first))
    if head is not None and records and head != prev_hash and not findings:
        findings.append(Finding("removed", "the log does not end at the head hash it declares: "
                                "events were removed from its end", None))
    return findings


def _gaps(seqs: list[int], expected: int) -> list[tuple[int, int]]:
    """The runs of numbers 1..expected missing from seqs, as (first, last): walked over the numbers present,
    so a count of 10**100 costs no more than the events the bundle holds."""
    gaps, after = [], 0
    for seq in sorted({s for s in seqs if 0 < s <= expected}) + [expected + 1]:
        if seq > after + 1:
            gaps.append((after + 1, seq - 1))
        after = seq
    return gaps
