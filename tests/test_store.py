"""The classroom's storage, every test against an SQLite file and a real PostgreSQL server the
suite starts itself (tests/postgres.py): schema creation and its version, lessons saved and read
back, edit tokens (a student link cannot save), submissions with their caps and rate limits,
the leaderboard's order, user text kept as data (bound parameters, never SQL)."""

import datetime as dt

import pytest
import sqlalchemy as sa

from playground.classroom import builtin, store
from playground.classroom.store import Store, StoreError
from tests.postgres import Postgres, free_port


@pytest.fixture(scope="module")
def postgres():
    with Postgres() as pg:
        yield pg


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request, tmp_path):
    if request.param == "sqlite":
        yield Store(f"sqlite:///{tmp_path / 'classroom.sqlite'}")
        return
    url = request.getfixturevalue("postgres").url
    s = Store(url)
    yield s
    store.meta.drop_all(s.engine)  # the next test starts from an empty database
    s.engine.dispose()


LESSON = builtin.lessons_by_id()["neuron"]


def test_schema_is_created_once_with_its_version(db):
    assert db.migrate() == store.SCHEMA_VERSION  # a second start (another replica) changes nothing
    with db.engine.connect() as c:
        assert c.execute(sa.select(store.schema_version.c.version)).scalars().all() == [1]
        assert set(sa.inspect(c).get_table_names()) >= {"lessons", "submissions", "schema_version"}


def test_lessons_round_trip_and_only_the_teacher_token_edits(db):
    lesson_id, token = db.create_lesson(LESSON)
    assert db.lesson(lesson_id) == LESSON
    assert db.can_edit(lesson_id, token) and not db.can_edit(lesson_id, token + "x")
    assert not db.can_edit(lesson_id, "") and not db.can_edit(lesson_id, None)
    other = builtin.lessons_by_id()["losses"]
    with pytest.raises(StoreError, match="only its teacher link can"):
        db.update_lesson(lesson_id, "a student's guess", other)
    assert db.lesson(lesson_id) == LESSON
    db.update_lesson(lesson_id, token, other)
    assert db.lesson(lesson_id) == other
    with db.engine.connect() as c:  # the token itself is never stored
        stored = c.execute(sa.select(store.lesson_rows.c.token_sha256)).scalar()
    assert token not in stored and len(stored) == 64
    with pytest.raises(StoreError, match="no lesson 'nope' on this server"):
        db.lesson("nope")
    with pytest.raises(StoreError, match="no such lesson"):
        db.lesson("x" * 40)


def test_hostile_text_is_stored_as_data(db):
    evil = "'); DROP TABLE lessons; --"
    lesson = LESSON.__class__(evil, LESSON.steps)
    lesson_id, _ = db.create_lesson(lesson)
    db.submit(lesson_id, 0, "Robert'); DROP TABLE", "s1", {"test_loss": 0.1}, 0.1, True, {})
    assert db.lesson(lesson_id).title == evil
    board = db.leaderboard(lesson_id, 0, lower_is_better=True)
    assert board[0]["nickname"] == "Robert'); DROP TABLE"


def test_leaderboard_keeps_each_nickname_best_met_first(db):
    lesson_id, _ = db.create_lesson(LESSON)
    entries = [
        ("ada", 0.20, False, "s1"),
        ("ada", 0.05, True, "s1"),
        ("bob", 0.01, False, "s2"),  # the lowest loss, but the goal is not met
        ("cy", 0.04, True, "s3"),
        ("cy", 0.09, True, "s3"),
        ("dee", None, False, "s4"),  # diverged: no score
    ]
    for name, score, met, session in entries:
        db.submit(lesson_id, 0, name, session, {"test_loss": score}, score, met, {"hidden": [3]})
    board = db.leaderboard(lesson_id, 0, lower_is_better=True)
    assert [(r["nickname"], r["score"], r["met"]) for r in board] == [
        ("cy", 0.04, True),
        ("ada", 0.05, True),
        ("bob", 0.01, False),
        ("dee", None, False),
    ]
    assert [r["rank"] for r in board] == [1, 2, 3, 4]
    higher = db.leaderboard(lesson_id, 0, lower_is_better=False)
    assert [r["nickname"] for r in higher] == ["cy", "ada", "bob", "dee"]  # met first, then the larger
    assert sorted(db.scores(lesson_id, 0)) == [0.01, 0.04, 0.05, 0.09, 0.2]
    assert db.leaderboard(lesson_id, 1, lower_is_better=True) == []


def test_nicknames_and_rate_limits(db, monkeypatch):
    lesson_id, _ = db.create_lesson(LESSON)
    for bad, words in [("", "is needed"), ("   \n", "is needed"), ("x" * 25, "at most 24")]:
        with pytest.raises(StoreError, match=words):
            db.submit(lesson_id, 0, bad, "s", {}, None, False, {})
    db.submit(lesson_id, 0, "  tab\tand\u200bzero  ", "s", {}, None, False, {})
    assert db.leaderboard(lesson_id, 0, True)[0]["nickname"] == "tab andzero"  # controls gone, spaces one
    with pytest.raises(StoreError, match="has no step 4"):
        db.submit(lesson_id, 3, "a", "s", {}, None, False, {})
    for _ in range(store.PER_MINUTE - 1):
        db.submit(lesson_id, 0, "a", "s", {}, None, False, {})
    with pytest.raises(StoreError, match="at most 6 submissions a minute"):
        db.submit(lesson_id, 0, "a", "s", {}, None, False, {})
    db.submit(lesson_id, 0, "b", "another session", {}, None, False, {})  # others are not held back
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=2)
    monkeypatch.setattr(store, "_now", lambda: later)  # a minute on, the burst limit has passed
    db.submit(lesson_id, 0, "a", "s", {}, None, False, {})
    monkeypatch.setattr(store, "PER_SESSION", 7)  # it has 7
    with pytest.raises(StoreError, match="at most 7 submissions per student and lesson"):
        db.submit(lesson_id, 0, "a", "s", {}, None, False, {})
    monkeypatch.setattr(store, "PER_LESSON", 8)  # 7 + 1
    with pytest.raises(StoreError, match="this lesson is full"):
        db.submit(lesson_id, 0, "c", "third", {}, None, False, {})
    assert db.count(lesson_id) == 8


def test_an_unreachable_database_is_named(tmp_path):
    db = Store(f"sqlite:///{tmp_path / 'gone.sqlite'}")
    store.meta.drop_all(db.engine)  # the tables vanish under a running server
    with pytest.raises(StoreError, match="the classroom database cannot be used now"):
        db.lesson("abc")
    with pytest.raises(StoreError, match="cannot be used now"):
        db.create_lesson(LESSON)
    with pytest.raises(StoreError, match="cannot be used now"):  # a server that is not there
        Store(f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/none?connect_timeout=2")
