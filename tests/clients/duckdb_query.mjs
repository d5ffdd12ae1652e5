// A test client for cloudqe's file outputs: runs one SQL statement in an in-memory DuckDB
// (@duckdb/node-api, installed under tests/clients/node_modules by scripts/setup.sh) and
// prints each result row as one JSON object per line, column name -> value, so that the
// Python tests (tests/clients.py: duckdb_rows) can check what a reader of those files sees.
//
//   node tests/clients/duckdb_query.mjs "SELECT count(*) AS n FROM read_json('out/**/*.ndjson.zst')"
//
// Values: integers as JSON numbers (64/128-bit ones too while they are safe integers in a
// double, otherwise as decimal strings); DECIMAL, FLOAT and DOUBLE as numbers (NaN and
// infinities as strings); DATE as "YYYY-MM-DD"; TIMESTAMP as "YYYY-MM-DDTHH:MM:SS[.ffffff]";
// TIMESTAMPTZ in UTC as "...+00:00"; TIME as "HH:MM:SS[.ffffff]"; INTERVAL as
// {months, days, micros}; LIST/ARRAY as arrays, STRUCT as objects, MAP as an object when
// every key is a string or a number, else as [{key, value}], UNION as {tag, value}, all
// converted recursively; BLOB, UUID, ENUM and anything else as DuckDB's string form.
// Exit 0 on success; on an error, its message on stderr and exit 1.
import {
  DuckDBInstance,
  DuckDBTypeId,
  DuckDBTimestampTZValue,
  DuckDBDecimalValue,
  JsonDuckDBValueConverter,
  arrayFromListValue,
  arrayFromArrayValue,
  objectFromStructValue,
  objectArrayFromMapValue,
  objectFromUnionValue,
  fromVariantValue,
} from '@duckdb/node-api';

// TIMESTAMPTZ values print in UTC whatever the machine's time zone is.
DuckDBTimestampTZValue.timezoneOffsetInMinutes = 0;

function integer(value) {
  const n = BigInt(value);
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n.toString();
}

function finiteOrString(x) {
  return Number.isFinite(x) ? x : String(x);
}

// "2026-03-01 10:00:00.5+00" -> "2026-03-01T10:00:00.5+00:00"; "infinity" stays as it is.
function isoTimestamp(value) {
  const s = String(value);
  const m = /^(-?\d{4,}-\d\d-\d\d) (\d\d:\d\d:\d\d(?:\.\d+)?)(?:([+-]\d\d)(?::?(\d\d))?)?$/.exec(s);
  if (!m) return s;
  return `${m[1]}T${m[2]}` + (m[3] ? `${m[3]}:${m[4] ?? '00'}` : '');
}

const INTEGER_TYPES = new Set([
  DuckDBTypeId.TINYINT, DuckDBTypeId.SMALLINT, DuckDBTypeId.INTEGER, DuckDBTypeId.BIGINT,
  DuckDBTypeId.UTINYINT, DuckDBTypeId.USMALLINT, DuckDBTypeId.UINTEGER, DuckDBTypeId.UBIGINT,
  DuckDBTypeId.HUGEINT, DuckDBTypeId.UHUGEINT, DuckDBTypeId.BIGNUM,
]);
const TIMESTAMP_TYPES = new Set([
  DuckDBTypeId.TIMESTAMP, DuckDBTypeId.TIMESTAMP_S, DuckDBTypeId.TIMESTAMP_MS,
  DuckDBTypeId.TIMESTAMP_NS, DuckDBTypeId.TIMESTAMP_TZ,
]);

function toJson(value, type, self) {
  if (value == null) return null;
  const id = type.typeId;
  if (INTEGER_TYPES.has(id)) return integer(value);
  if (id === DuckDBTypeId.BOOLEAN) return Boolean(value);
  if (id === DuckDBTypeId.FLOAT || id === DuckDBTypeId.DOUBLE) return finiteOrString(Number(value));
  if (id === DuckDBTypeId.DECIMAL) {
    return value instanceof DuckDBDecimalValue ? value.toDouble() : Number(String(value));
  }
  if (id === DuckDBTypeId.DATE) return String(value);
  if (TIMESTAMP_TYPES.has(id)) return isoTimestamp(value);
  if (id === DuckDBTypeId.INTERVAL) {
    return { months: value.months, days: value.days, micros: integer(value.micros) };
  }
  if (id === DuckDBTypeId.LIST) return arrayFromListValue(value, type, self);
  if (id === DuckDBTypeId.ARRAY) return arrayFromArrayValue(value, type, self);
  if (id === DuckDBTypeId.STRUCT) return objectFromStructValue(value, type, self);
  if (id === DuckDBTypeId.UNION) return objectFromUnionValue(value, type, self);
  if (id === DuckDBTypeId.VARIANT) return fromVariantValue(value, type, self);
  if (id === DuckDBTypeId.MAP) {
    const entries = objectArrayFromMapValue(value, type, self);
    if (entries.every((e) => typeof e.key === 'string' || typeof e.key === 'number')) {
      return Object.fromEntries(entries.map((e) => [String(e.key), e.value]));
    }
    return entries;
  }
  // VARCHAR, BLOB, UUID, ENUM, TIME, BIT, ...: the JSON converter's form (strings).
  return JsonDuckDBValueConverter(value, type, self);
}

async function main() {
  const args = process.argv.slice(2);
  if (args.length !== 1) {
    throw new Error('usage: node tests/clients/duckdb_query.mjs "<SQL>"');
  }
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const reader = await connection.runAndReadAll(args[0]);
    const lines = reader.convertRowObjects(toJson).map((row) => JSON.stringify(row));
    if (lines.length) process.stdout.write(lines.join('\n') + '\n');
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

main().then(
  () => { process.exitCode = 0; },
  (err) => {
    process.stderr.write(`${err && err.message ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
