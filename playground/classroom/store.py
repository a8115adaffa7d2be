"""Where lessons and challenge results live: a database through SQLAlchemy Core. An embedded
SQLite file by default (`default_url`), PostgreSQL when PLAYGROUND_DATABASE_URL is set (every
replica of a class's server shares it). The schema is created on first use and its version kept
in `schema_version`; `MIGRATIONS` lists the steps from one version to the next.

Nothing a user types reaches SQL but as a bound parameter. A lesson is edited only with its edit
token (a random secret; the table keeps its SHA-256). Submissions are capped per browser session
(a burst limit a minute and a total) and per lesson, nicknames are short plain text.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import json
import os
import pathlib
import secrets
import unicodedata

import sqlalchemy as sa

from playground.classroom import lessons

SCHEMA_VERSION = 1
MAX_NICKNAME = 24
PER_MINUTE = 6  # submissions one browser session may make in a minute
PER_SESSION = 60  # and in all, per lesson
PER_LESSON = 5000  # submissions a lesson keeps
MAX_LESSONS = 10_000

meta = sa.MetaData()
schema_version = sa.Table("schema_version", meta, sa.Column("version", sa.Integer, nullable=False))
lesson_rows = sa.Table(
    "lessons",
    meta,
    sa.Column("id", sa.String(16), primary_key=True),
    sa.Column("title", sa.String(lessons.MAX_TITLE), nullable=False),
    sa.Column("body", sa.Text, nullable=False),  # the lesson's JSON
    sa.Column("token_sha256", sa.String(64), nullable=False),
    sa.Column("created", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
)
submissions = sa.Table(
    "submissions",
    meta,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("lesson_id", sa.String(16), sa.ForeignKey("lessons.id", ondelete="CASCADE"), nullable=False),
    sa.Column("step", sa.Integer, nullable=False),
    sa.Column("nickname", sa.String(MAX_NICKNAME), nullable=False),
    sa.Column("session", sa.String(64), nullable=False),  # the submitting browser session's key
    sa.Column("score", sa.Float, nullable=True),
    sa.Column("met", sa.Boolean, nullable=False),
    sa.Column("metrics", sa.Text, nullable=False),  # JSON: the recomputed numbers
    sa.Column("config", sa.Text, nullable=False),  # JSON: the submitted config fields
    sa.Column("created", sa.DateTime(timezone=True), nullable=False),
    sa.Index("submissions_by_step", "lesson_id", "step"),
    sa.Index("submissions_by_session", "lesson_id", "session", "created"),
)
# version -> statements that bring a database from version - 1 to it (none yet beyond creation).
MIGRATIONS: dict[int, list[str]] = {}


class StoreError(ValueError):
    """A refused request, named: unknown lesson, wrong token, rate limit, bad nickname, or a
    database that cannot be reached."""


def _reachable(method):
    """The database's own errors (down, unreachable, a lost file) as a StoreError that says so."""

    @functools.wraps(method)
    def wrapped(*args, **kwargs):
        try:
            return method(*args, **kwargs)
        except sa.exc.SQLAlchemyError as e:
            raise StoreError(f"the classroom database cannot be used now ({type(e).__name__})") from e

    return wrapped


def default_url() -> str:
    """PLAYGROUND_DATABASE_URL, else a SQLite file: $PLAYGROUND_DATA_DIR (default ~/.nn-playground)
    / classroom.sqlite."""
    if os.environ.get("PLAYGROUND_DATABASE_URL"):
        return os.environ["PLAYGROUND_DATABASE_URL"]
    folder = pathlib.Path(os.environ.get("PLAYGROUND_DATA_DIR", pathlib.Path.home() / ".nn-playground"))
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'classroom.sqlite'}"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _sha(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def clean_nickname(name) -> str:
    """A nickname as shown: printable, spaces collapsed, 1–24 characters.

    Raises:
      StoreError: empty, too long, or not text.
    """
    if not isinstance(name, str):
        raise StoreError("a nickname is text")
    name = " ".join(unicodedata.normalize("NFC", name).split())  # tabs and newlines become spaces
    name = " ".join("".join(ch for ch in name if unicodedata.category(ch)[0] != "C").split())
    if not name:
        raise StoreError("a nickname is needed (1 to 24 characters)")
    if len(name) > MAX_NICKNAME:
        raise StoreError(f"a nickname is at most {MAX_NICKNAME} characters, this one has {len(name)}")
    return name


class Store:
    """The classroom's tables on one database (thread-safe: SQLAlchemy pools the connections)."""

    def __init__(self, url: str | None = None):
        self.url = url or default_url()
        kw = {"connect_args": {"check_same_thread": False}} if self.url.startswith("sqlite") else {}
        self.engine = sa.create_engine(self.url, pool_pre_ping=True, **kw)
        self.migrate()

    @_reachable
    def migrate(self) -> int:
        """Create the tables if missing and apply the migrations above the stored version; returns
        the version. Safe to run from several replicas at once (each step is one transaction)."""
        meta.create_all(self.engine, checkfirst=True)
        with self.engine.begin() as c:
            version = c.execute(sa.select(sa.func.max(schema_version.c.version))).scalar()
            if version is None:
                c.execute(schema_version.insert().values(version=SCHEMA_VERSION))
                return SCHEMA_VERSION
            for v in range(version + 1, SCHEMA_VERSION + 1):
                for statement in MIGRATIONS.get(v, []):
                    c.execute(sa.text(statement))
                c.execute(schema_version.insert().values(version=v))
        return max(version, SCHEMA_VERSION)

    # ---- lessons -----------------------------------------------------------------------------
    @_reachable
    def create_lesson(self, lesson: lessons.Lesson) -> tuple[str, str]:
        """Save a new lesson; returns (its id, its secret edit token)."""
        with self.engine.begin() as c:
            if c.execute(sa.select(sa.func.count()).select_from(lesson_rows)).scalar() >= MAX_LESSONS:
                raise StoreError(f"this server keeps at most {MAX_LESSONS:,} lessons")
            lesson_id, token, now = secrets.token_urlsafe(9), secrets.token_urlsafe(24), _now()
            c.execute(
                lesson_rows.insert().values(
                    id=lesson_id,
                    title=lesson.title,
                    body=lesson.dumps(),
                    token_sha256=_sha(token),
                    created=now,
                    updated=now,
                )
            )
        return lesson_id, token

    @_reachable
    def lesson(self, lesson_id) -> lessons.Lesson:
        """Raises StoreError for an unknown id."""
        if not isinstance(lesson_id, str) or len(lesson_id) > 16:
            raise StoreError("no such lesson")
        with self.engine.connect() as c:
            body = c.execute(sa.select(lesson_rows.c.body).where(lesson_rows.c.id == lesson_id)).scalar()
        if body is None:
            raise StoreError(f"no lesson {lesson_id[:16]!r} on this server")
        return lessons.loads(body)

    @_reachable
    def can_edit(self, lesson_id: str, token) -> bool:
        if not isinstance(token, str) or not isinstance(lesson_id, str) or len(lesson_id) > 16:
            return False
        with self.engine.connect() as c:
            query = sa.select(lesson_rows.c.token_sha256).where(lesson_rows.c.id == lesson_id)
            want = c.execute(query).scalar()
        return want is not None and hmac.compare_digest(want, _sha(token))

    @_reachable
    def update_lesson(self, lesson_id: str, token: str, lesson: lessons.Lesson) -> None:
        """Raises StoreError unless `token` is the lesson's edit token."""
        if not self.can_edit(lesson_id, token):
            raise StoreError("this link cannot edit the lesson (only its teacher link can)")
        with self.engine.begin() as c:
            c.execute(
                lesson_rows.update()
                .where(lesson_rows.c.id == lesson_id)
                .values(title=lesson.title, body=lesson.dumps(), updated=_now())
            )

    # ---- challenges --------------------------------------------------------------------------
    @_reachable
    def submit(
        self, lesson_id: str, step: int, nickname: str, session: str, metrics: dict, score, met: bool, config
    ) -> int:
        """Store a recomputed result; returns its id.

        Raises:
          StoreError: a bad nickname, an unknown lesson or step, or a rate limit (named).
        """
        nickname = clean_nickname(nickname)
        lesson = self.lesson(lesson_id)
        if not 0 <= step < len(lesson.steps):
            raise StoreError(f"lesson {lesson_id} has no step {step + 1}")
        now = _now()
        s = submissions.c
        with self.engine.begin() as c:
            mine = sa.and_(s.lesson_id == lesson_id, s.session == session)
            recent = c.execute(
                sa.select(sa.func.count()).where(mine, s.created > now - dt.timedelta(minutes=1))
            ).scalar()
            if recent >= PER_MINUTE:
                raise StoreError(f"at most {PER_MINUTE} submissions a minute; wait a moment")
            if c.execute(sa.select(sa.func.count()).where(mine)).scalar() >= PER_SESSION:
                raise StoreError(f"at most {PER_SESSION} submissions per student and lesson")
            if c.execute(sa.select(sa.func.count()).where(s.lesson_id == lesson_id)).scalar() >= PER_LESSON:
                raise StoreError(f"this lesson is full ({PER_LESSON:,} submissions)")
            row = c.execute(
                submissions.insert()
                .values(
                    lesson_id=lesson_id,
                    step=step,
                    nickname=nickname,
                    session=str(session)[:64],
                    score=score,
                    met=bool(met),
                    metrics=json.dumps(metrics),
                    config=json.dumps(config, default=list),
                    created=now,
                )
                .returning(s.id)
            ).scalar()
        return int(row)

    @_reachable
    def leaderboard(self, lesson_id: str, step: int, lower_is_better: bool, limit: int = 50) -> list[dict]:
        """Each nickname's best result on a step: goal met first, then by score; ties by time."""
        s = submissions.c
        with self.engine.connect() as c:
            rows = c.execute(
                sa.select(s.nickname, s.score, s.met, s.metrics, s.created).where(
                    s.lesson_id == lesson_id, s.step == step
                )
            ).all()
        best: dict[str, tuple] = {}
        for r in rows:
            score = r.score if r.score is not None else float("inf") * (1 if lower_is_better else -1)
            key = (not r.met, score if lower_is_better else -score, r.created)
            if r.nickname not in best or key < best[r.nickname][0]:
                best[r.nickname] = (key, r)
        ranked = sorted(best.values(), key=lambda kr: kr[0])[:limit]
        return [
            {"rank": i + 1, "nickname": r.nickname, "score": r.score, "met": r.met}
            | {"metrics": json.loads(r.metrics)}
            for i, (_, r) in enumerate(ranked)
        ]

    @_reachable
    def scores(self, lesson_id: str, step: int) -> list[float]:
        """Every submission's score on a step (the class's distribution)."""
        s = submissions.c
        with self.engine.connect() as c:
            rows = c.execute(
                sa.select(s.score).where(s.lesson_id == lesson_id, s.step == step, s.score.is_not(None))
            ).all()
        return [r.score for r in rows]

    @_reachable
    def count(self, lesson_id: str) -> int:
        with self.engine.connect() as c:
            return int(
                c.execute(sa.select(sa.func.count()).where(submissions.c.lesson_id == lesson_id)).scalar()
            )
