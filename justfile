# Stepwise recipes for the team (the README's two commands do not need just).
set positional-arguments

venv := ".venv/bin"

# List the recipes
default:
    @{{venv}}/just --list

# Lint, format check, types, migration drift: changes nothing
check:
    {{venv}}/ruff check .
    {{venv}}/ruff format --check .
    {{venv}}/mypy
    {{venv}}/stepwise check

# Fix what ruff can, and format
fix:
    {{venv}}/ruff check --fix .
    {{venv}}/ruff format .

# Both test passes, SQLite then PostgreSQL, as CI runs them
test *args:
    python3 dev.py test "$@"

# The SQLite pass only
test-sqlite *args:
    STEPWISE_TEST_ENGINE=sqlite {{venv}}/pytest "$@"

# The PostgreSQL pass only
test-postgres *args:
    STEPWISE_TEST_ENGINE=postgres {{venv}}/pytest "$@"

# Unit tests (pure rules, no database)
test-unit *args:
    {{venv}}/pytest tests/unit "$@"

# Tests through HTTP on SQLite
test-api *args:
    {{venv}}/pytest tests/api "$@"

# Migrate the development database
migrate:
    {{venv}}/stepwise migrate

# Serve the development database with demo data
run:
    {{venv}}/stepwise demo

# The benchmark harness on both databases
bench *args:
    {{venv}}/python bench/run.py "$@"
