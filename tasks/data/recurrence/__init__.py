"""Recurring tasks: rules, the dates of their occurrences, and words for them.

Pure date arithmetic, with no database or API in it: the data layer calls it when a
recurring task is completed, the API when a rule is written.

What a recurring task carries so that its next occurrence can be computed:
- `recurrence`: the rule as `Rule.text` gives it back (a word, or RRULE parts);
- `time_zone`: the IANA zone its wall-clock times live in (default UTC);
- `repeat_from`: "due" (a schedule) or "completion" (an interval from completion);
- `series_start`: the due date of the series' first occurrence. It anchors the
  rule: the words take their day from it and an RRULE the parts it leaves out, so
  a monthly series from Jan 31 gives Feb 28, Mar 31, Apr 30, never drifting. It is
  copied to each next occurrence, and set to `due_at` again whenever a user
  changes the task's due date, rule, zone or repeat_from (a new schedule);
- `occurrence`: the occurrence's number in the series, 1 for the first; COUNT ends
  the series by it, and (series, number) names an occurrence once;
- `due_at` and `remind_at`: the reminder's offset from the due date carries over.

So: rule = parse_recurrence(task.recurrence, due_at=task.series_start,
time_zone=task.time_zone); nxt = next_occurrence(rule, due_at=task.due_at,
completed_at=now, repeat_from=task.repeat_from, number=task.occurrence).
"""

from tasks.data.recurrence.describe import describe
from tasks.data.recurrence.next import (
    Occurrence,
    RepeatFrom,
    next_due,
    next_occurrence,
    next_remind_at,
    upcoming,
)
from tasks.data.recurrence.rules import WORDS, Rule, parse_recurrence, zone_named
from tasks.data.recurrence.syntax import RecurrenceError

__all__ = [
    "WORDS",
    "Occurrence",
    "RecurrenceError",
    "RepeatFrom",
    "Rule",
    "describe",
    "next_due",
    "next_occurrence",
    "next_remind_at",
    "parse_recurrence",
    "upcoming",
    "zone_named",
]
