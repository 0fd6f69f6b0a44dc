"""A Google Classroom API v1 REST emulator: the real client talks to it over real HTTP.

Start one with ``EmulatorServer`` (in-process, background thread) or
``bin/littlesis emulator`` (``littlesis.emulator.cli``). Modules: ``state`` (the domain),
``courses``/``rosters``/``invitations``/``guardians`` (method rules), ``routes``,
``engine`` (one call: quota, faults, fields), ``batch``, ``server``, ``hooks``
(/_emulator/ test hooks), ``faults`` (the SPEC grammar), ``quota``, ``paging``
(page sizes and tokens), ``seed`` (the seed JSON). It imports nothing else of ours.

Where Google's behaviour isn't documented the emulator chooses, and says so here:
- the caller is treated as a domain admin; "me" is the bearer token's subject
  (see ``identity``) or ``admin@<first seeded domain>``;
- a taken alias answers 409 ``@CourseAliasAlreadyExists``; other 409s carry no reason;
- a state change outside PROVISIONED->ACTIVE|DECLINED, DECLINED->PROVISIONED,
  ACTIVE->ARCHIVED, ARCHIVED->ACTIVE is 400 FAILED_PRECONDITION (no reason);
- adding members to an ARCHIVED or SUSPENDED course is CourseNotModifiable; removing
  them is allowed (the discovery document lists no such error for deletes);
- the 20-guardian limit counts linked guardians plus pending invitations;
- answers are compact JSON (Google pretty-prints); ``fields`` names are not
  validated against the schema, but unknown query parameters and body fields are.
"""

from littlesis.emulator.server import EmulatorServer

__all__ = ["EmulatorServer"]
