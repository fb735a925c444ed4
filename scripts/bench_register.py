#!/usr/bin/env python3
"""Benchmark of the identity register: bulk import, issuance in a crowded prefix, lookup by PIN.

Prints figures, asserts nothing. Every run works in scratch databases it creates itself: SQLite
files in a temporary folder and, for PostgreSQL, the database named by --postgres-url (dropped and
created again for each measurement; never point it at a database you want to keep).

    .venv/bin/python scripts/bench_register.py              # the full run (about a quarter of an hour)
    .venv/bin/python scripts/bench_register.py --quick      # small sizes, a minute or two

Measured:
  import     rows per second of ``identity.import_csv`` for generated population files (Vietnamese
             names, about half the rows with a legacy PIN, the rest issued a PIN, two in five with a card);
  issuance   ``issue_person`` per second, one transaction each, in a prefix filled to 99%;
  lookup     p50 and p99 latency of ``get_person`` (one session and transaction per lookup), and of
             ``find_people`` by name (family and given name without diacritics, as a registrar types it).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import platform
import random
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, insert, select, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from identity import Sex, get_person, import_csv, issue_person, make_engine, make_session_factory, person_facts
from identity.db import normalise_url
from identity.import_reader import COLUMNS
from identity.models import Person
from identity.names import fold_for_search
from identity.pin import pin_prefix
from identity.places import places
from identity.search import find_people
from idp import context

FAMILY = [
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Hoàng",
    "Huỳnh",
    "Phan",
    "Vũ",
    "Võ",
    "Đặng",
    "Bùi",
    "Đỗ",
    "Hồ",
    "Ngô",
    "Dương",
    "Lý",
    "Đinh",
    "Trương",
    "Đoàn",
    "Lâm",
]
MIDDLE_MALE = ["Văn", "Hữu", "Đức", "Minh", "Quang", "Xuân", "Thành", "Công", "Tiến", "Đình", "Quốc", "Trọng"]
MIDDLE_FEMALE = ["Thị", "Ngọc", "Thu", "Thanh", "Hồng", "Phương", "Kim", "Mỹ", "Diệu", "Bích", "Thúy", "Khánh"]
GIVEN_MALE = [
    "An",
    "Bình",
    "Dũng",
    "Đạt",
    "Hải",
    "Hiếu",
    "Hùng",
    "Khánh",
    "Long",
    "Nam",
    "Phúc",
    "Quân",
    "Sơn",
    "Tâm",
    "Thắng",
    "Trung",
    "Tuấn",
    "Việt",
    "Vinh",
    "Lực",
]
GIVEN_FEMALE = [
    "Anh",
    "Châu",
    "Giang",
    "Hà",
    "Hạnh",
    "Hoa",
    "Hương",
    "Lan",
    "Linh",
    "Mai",
    "Ngân",
    "Nhung",
    "Phương",
    "Quỳnh",
    "Thảo",
    "Trang",
    "Vy",
    "Yến",
    "Uyên",
    "Nga",
]
STREETS = ["Lê Lợi", "Trần Hưng Đạo", "Nguyễn Huệ", "Hai Bà Trưng", "Lý Thường Kiệt", "Phan Chu Trinh", "Điện Biên Phủ"]
TODAY = dt.date(2025, 6, 1)


def _name(rng: random.Random, male: bool) -> str:
    middle = rng.choice(MIDDLE_MALE if male else MIDDLE_FEMALE)
    given = rng.choice(GIVEN_MALE if male else GIVEN_FEMALE)
    if rng.random() < 0.2:  # two-syllable given names are common
        given = f"{rng.choice(GIVEN_MALE if male else GIVEN_FEMALE)} {given}"
    return f"{rng.choice(FAMILY)} {middle} {given}"


def generate_csv(path: Path, count: int, *, seed: int = 1) -> int:
    """Write ``count`` persons; returns how many rows carry a PIN. PINs are unique within the file."""
    rng = random.Random(seed)
    provinces = [p for p in places().values() if not p.abroad]
    countries = [p for p in places().values() if p.abroad]
    used: set[str] = set()
    with_pin = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for _ in range(count):
            male = rng.random() < 0.5
            born = dt.date(1930, 1, 1) + dt.timedelta(days=rng.randrange(365 * 94))
            place = rng.choice(countries if rng.random() < 0.01 else provinces)
            origin = rng.choice(provinces).name
            pin = ""
            if rng.random() < 0.5:
                while not pin or pin in used:
                    pin = pin_prefix(place.code, born, Sex(_sex(male))) + f"{rng.randrange(1_000_000):06d}"
                if rng.random() < 0.005:  # a legacy PIN with a wrong year digit: imported and flagged
                    pin = pin[:5] + str((int(pin[5]) + 1) % 10) + pin[6:]
                if pin in used:
                    pin = ""
                else:
                    used.add(pin)
                    with_pin += 1
            card, legacy = "", ""
            fourteenth = born.replace(year=born.year + 14, day=min(born.day, 28))
            if fourteenth < TODAY and rng.random() < 0.4:
                first = max(fourteenth, dt.date(2016, 1, 1))
                card = (first + dt.timedelta(days=rng.randrange((TODAY - first).days + 1))).isoformat()
                if born.year < 2000 and rng.random() < 0.5:
                    legacy = f"{rng.randrange(10**9):09d}"
            writer.writerow(
                [
                    pin,
                    _name(rng, male),
                    born.isoformat(),
                    _sex(male),
                    place.code,
                    "VN",
                    f"Xã {rng.choice(GIVEN_MALE)}, {origin}",
                    f"Số {rng.randrange(1, 999)} đường {rng.choice(STREETS)}, {rng.choice(provinces).name}",
                    card,
                    legacy,
                ]
            )
    return with_pin


def _sex(male: bool) -> str:
    return "male" if male else "female"


def _fresh_database(kind: str, workdir: Path, postgres_url: str, label: str) -> str:
    """A new, migrated, empty database; returns its URL."""
    if kind == "sqlite":
        path = workdir / f"{label}.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    else:
        url = normalise_url(postgres_url)
        name = make_url(url).database
        if name in {None, "", "test", "postgres"}:
            raise SystemExit(f"Refusing to drop the database {name!r}: give a scratch database.")
        admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
    _migrate(url, workdir)
    return url


def _migrate(url: str, workdir: Path) -> None:
    from idp import create_app
    from idp.config import load_settings
    from idp.migrate import upgrade_database

    app = create_app(load_settings(environ={}, env="test", database_url=url, instance_path=str(workdir)))
    upgrade_database(app)
    context.engine(app).dispose()


def bench_import(url: str, csv_path: Path, rows: int) -> tuple[float, str]:
    """Rows per second, and a note with the outcome and where the CPU went.

    The importing process writes while a child process parses; their CPU time per row says what
    the import reaches when each has a core of its own, whatever else the machine is running.
    """
    engine = make_engine(url)
    factory = make_session_factory(engine)
    own, children = _cpu(resource.RUSAGE_SELF), _cpu(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    summary = import_csv(factory, csv_path, actor="bench")
    elapsed = time.perf_counter() - started
    writer = (_cpu(resource.RUSAGE_SELF) - own) / rows * 1e6
    parser = (_cpu(resource.RUSAGE_CHILDREN) - children) / rows * 1e6
    engine.dispose()
    note = (
        f"{summary.created:,} created, {summary.flagged:,} flagged, {summary.rejected} rejected; "
        f"CPU per row: writer {writer:.0f} µs, parser {parser:.0f} µs"
    )
    return rows / elapsed, note


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def _settle(url: str) -> None:
    """Let the database catch up with a fresh bulk load (statistics, visibility), as in steady state."""
    engine = make_engine(url)
    statement = "VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql(statement)
    engine.dispose()


def _spread_sample(session: Session, column: Any, samples: int, seed: int) -> tuple[int, list[Any]]:
    """The number of persons, and *samples* values of *column* drawn from across the whole table."""
    total = session.scalar(select(func.count()).select_from(Person)) or 0
    step = max(total // (samples * 4), 1)
    values = list(session.scalars(select(column).where(Person.id % step == 0).limit(samples * 4)))
    random.Random(seed).shuffle(values)
    return total, values[:samples]


def bench_lookup(url: str, samples: int, seed: int = 2) -> tuple[float, float, int]:
    engine = make_engine(url)
    factory = make_session_factory(engine)
    with factory() as session:
        total, pins = _spread_sample(session, Person.pin, samples, seed)
    for pin in pins[:50]:  # warm the connection pool and the statement cache
        with factory() as session, session.begin():
            get_person(session, pin)
    timings = []
    for pin in pins:
        started = time.perf_counter()
        with factory() as session, session.begin():
            get_person(session, pin)
        timings.append(time.perf_counter() - started)
    engine.dispose()
    return _percentile(timings, 50) * 1e6, _percentile(timings, 99) * 1e6, total


def bench_name_search(url: str, samples: int, seed: int = 4) -> tuple[float, float]:
    """Each query is the first and last word of a registered name, folded: "nguyen an" for "Nguyễn Văn An"."""
    engine = make_engine(url)
    factory = make_session_factory(engine)
    with factory() as session:
        _total, names = _spread_sample(session, Person.name_key, samples, seed)
    queries = [f"{words[0]} {words[-1]}" for words in (name.split() for name in names)]
    timings = []
    for query in queries:
        started = time.perf_counter()
        with factory() as session:
            find_people(session, query)
        timings.append(time.perf_counter() - started)
    engine.dispose()
    return _percentile(timings, 50) * 1e3, _percentile(timings, 99) * 1e3


def _percentile(values: list[float], pct: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[pct - 1]


def bench_issuance(url: str, fill: float, count: int, seed: int = 3) -> tuple[float, int]:
    """Fill prefix 001084 (Hà Nội, male, 1984) to ``fill`` with a bulk insert, then issue one at a time."""
    engine = make_engine(url)
    facts = person_facts(full_name="Lê Văn Bảy", birth_date="1984-07-01", sex="male", birth_place="001")
    prefix = pin_prefix(facts.birth_place, facts.birth_date, facts.sex)
    serials = random.Random(seed).sample(range(1_000_000), int(1_000_000 * fill))
    _bulk_fill(engine, prefix, serials, facts.birth_date)
    factory = make_session_factory(engine)
    started = time.perf_counter()
    for _ in range(count):
        with factory() as session, session.begin():
            issue_person(session, facts, actor="bench")
    elapsed = time.perf_counter() - started
    engine.dispose()
    return count / elapsed, len(serials)


def _bulk_fill(engine: Engine, prefix: str, serials: list[int], born: dt.date) -> None:
    key = fold_for_search("Lê Văn Bảy")
    now = dt.datetime.now(dt.UTC)

    def rows(chunk: list[int]) -> Iterator[dict[str, object]]:
        for serial in chunk:
            yield {
                "pin": f"{prefix}{serial:06d}",
                "full_name": "Lê Văn Bảy",
                "name_key": key,
                "birth_date": born,
                "sex": "male",
                "birth_place": prefix[:3],
                "nationality": "VN",
                "status": "active",
                "created_at": now,
                "updated_at": now,
            }

    with engine.begin() as connection:
        for start in range(0, len(serials), 50_000):
            connection.execute(insert(Person), list(rows(serials[start : start + 50_000])))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes for a run of a minute or two")
    parser.add_argument("--databases", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1/bench_register")
    parser.add_argument("--import-sizes", help="comma-separated row counts (default 100000,1000000)")
    parser.add_argument("--lookup-sizes", help="comma-separated person counts (default 10000,1000000)")
    parser.add_argument("--lookups", type=int, help="lookups timed per size (default 5000)")
    parser.add_argument("--fill", type=float, default=0.99, help="how full the issuance prefix is (default 0.99)")
    parser.add_argument("--issues", type=int, help="PINs issued one by one in the full prefix (default 1000)")
    args = parser.parse_args()
    import_sizes = _sizes(args.import_sizes, "10000" if args.quick else "100000,1000000")
    lookup_sizes = _sizes(args.lookup_sizes, "10000,100000" if args.quick else "10000,1000000")
    lookups = args.lookups or (1000 if args.quick else 5000)
    issues = args.issues or (100 if args.quick else 1000)
    kinds = [kind.strip() for kind in args.databases.split(",") if kind.strip()]

    print(f"machine: {_machine()}")
    print(f"load average at start: {_load()}")
    with tempfile.TemporaryDirectory(prefix="bench_register_") as tmp:
        workdir = Path(tmp)
        files: dict[int, Path] = {}
        for size in sorted(set(import_sizes) | set(lookup_sizes)):
            files[size] = workdir / f"persons_{size}.csv"
            started = time.perf_counter()
            with_pin = generate_csv(files[size], size)
            print(f"generated {size:,} persons ({with_pin:,} with a PIN) in {time.perf_counter() - started:.1f} s")
        for kind in kinds:
            for size in sorted(set(import_sizes) | set(lookup_sizes)):
                url = _fresh_database(kind, workdir, args.postgres_url, f"register_{size}")
                rate, counts = bench_import(url, files[size], size)
                if size in import_sizes:
                    print(f"{kind:10} import  {size:>9,} persons: {rate:>9,.0f} rows/s ({counts})")
                if size in lookup_sizes:
                    _settle(url)
                    p50, p99, total = bench_lookup(url, lookups)
                    print(f"{kind:10} lookup  {total:>9,} persons: p50 {p50:,.0f} µs, p99 {p99:,.0f} µs")
                    p50, p99 = bench_name_search(url, 50)
                    print(f"{kind:10} name search {total:>9,} persons: p50 {p50:,.1f} ms, p99 {p99:,.1f} ms")
            url = _fresh_database(kind, workdir, args.postgres_url, "issuance")
            rate, filled = bench_issuance(url, args.fill, issues)
            print(f"{kind:10} issue   prefix {filled:,} of 1,000,000 taken: {rate:,.0f} PINs/s ({issues} issued)")
    print(f"load average at end: {_load()}")


def _machine() -> str:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor() or "unknown CPU",
    )
    return f"{os.cpu_count()} × {model}, Python {platform.python_version()}"


def _load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def _sizes(value: str | None, default: str) -> list[int]:
    return [int(part) for part in (value or default).split(",") if part.strip()]


if __name__ == "__main__":
    main()
