import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { TangoSystemError, freePort, runToCompletion, spawnManaged, waitForOutput, type ManagedProcess } from './processes.js';

/** Debian's interpreter, which has python3-tango (not a pyenv `python3` on PATH). */
export const DEBIAN_PYTHON = '/usr/bin/python3';
/** Where Debian installs DataBaseds, TangoTest and Starter. */
export const TANGO_BIN_DIR = '/usr/lib/tango';

const SCHEMA_SCRIPTS = ['/usr/share/dbconfig-common/data/tango-db/install/mysql'];
const SCHEMA_FALLBACK = ['/usr/share/tango-db/create_db_tables.sql', '/usr/share/tango-db/stored_proc.sql'];
const READY = /Ready to accept request/;

/** A device of a device server, for the database. */
export interface TangoDeviceDefinition {
  /** domain/family/member */
  readonly name: string;
  /** TANGO class (Magnet, BPM, TangoTest, ...). */
  readonly class: string;
  /** Device properties (values are written as strings; arrays as property lists). */
  readonly properties?: Readonly<Record<string, string | number | readonly (string | number)[]>>;
}

/** How to start one device server. */
export interface TangoServerSpec {
  /** Executable server name as registered (`Server` of Server/instance). */
  readonly server: string;
  readonly instance: string;
  /** Command line before the instance name, e.g. ['/usr/lib/tango/TangoTest'] or [DEBIAN_PYTHON, 'MlayerAccel.py']. */
  readonly command: readonly string[];
  /** Extra environment. */
  readonly env?: NodeJS.ProcessEnv;
  /** Milliseconds to wait for "Ready to accept request" (default 60000). */
  readonly startTimeoutMs?: number;
}

export interface TangoServerProcess extends ManagedProcess {
  readonly spec: TangoServerSpec;
}

export interface TangoSystem {
  /** 127.0.0.1:port of DataBaseds: the TANGO_HOST of this system. */
  readonly tangoHost: string;
  /** Temporary directory (database files, sockets); removed by stop(). */
  readonly dir: string;
  /** Environment for processes that talk to this system (TANGO_HOST, ORBendPoint on loopback). */
  readonly env: NodeJS.ProcessEnv;
  /** Registers a device server instance and its devices (with properties) in the database. */
  registerServer(server: string, instance: string, devices: readonly TangoDeviceDefinition[]): Promise<void>;
  /** Starts a registered device server; resolves when it accepts requests. */
  startServer(spec: TangoServerSpec): Promise<TangoServerProcess>;
  /** Starts Debian's TangoTest (instance 'test' serves sys/tg_test/1, registered by the schema). */
  startTangoTest(instance?: string): Promise<TangoServerProcess>;
  /** Runs Python code with PyTango against this system (stdout returned). */
  python(code: string, args?: readonly string[]): Promise<string>;
  /** Stops every server, DataBaseds and MariaDB (by PID), then removes the directory. */
  stop(): Promise<void>;
}

export interface StartTangoSystemOptions {
  /** Parent of the temporary directory (default: the OS temp dir). */
  readonly baseDir?: string;
  /** Milliseconds to wait for each daemon (default 60000). */
  readonly startTimeoutMs?: number;
}

function findExecutable(name: string, dirs: readonly string[]): string {
  for (const d of dirs) {
    const p = join(d, name);
    if (existsSync(p)) return p;
  }
  throw new TangoSystemError(
    `${name} not found in ${dirs.join(', ')}; install the Debian packages libtango-dev tango-db tango-test python3-tango mariadb-server`,
  );
}

const PATH_DIRS = (process.env.PATH ?? '').split(':').filter(Boolean);

const REGISTER_PY = `
import json, sys
import tango
spec = json.loads(sys.argv[1])
db = tango.Database()
for dev in spec["devices"]:
    info = tango.DbDevInfo()
    info.name = dev["name"]
    info._class = dev["class"]
    info.server = spec["server"] + "/" + spec["instance"]
    db.add_device(info)
    props = dev.get("properties") or {}
    if props:
        db.put_device_property(dev["name"], {k: (v if isinstance(v, list) else [v]) for k, v in props.items()})
`;

/**
 * Starts a private TANGO control system on loopback: MariaDB in a temporary
 * directory (private port and socket), the `tango` database from Debian's
 * schema script, and DataBaseds on a free port. Every process advertises
 * 127.0.0.1 (ORBendPoint=giop:tcp:127.0.0.1:) and is stopped by its PID.
 */
export async function startTangoSystem(options: StartTangoSystemOptions = {}): Promise<TangoSystem> {
  const startTimeoutMs = options.startTimeoutMs ?? 60_000;
  const dir = await mkdtemp(join(options.baseDir ?? tmpdir(), 'mlayer-tango-'));
  const processes: ManagedProcess[] = [];
  const user = userInfo().username;
  const stopAll = async (): Promise<void> => {
    for (const p of processes.reverse()) await p.stop(10_000);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const installDb = findExecutable('mariadb-install-db', [...PATH_DIRS, '/usr/bin']);
    const mariadbd = findExecutable('mariadbd', ['/usr/sbin', ...PATH_DIRS]);
    const client = findExecutable('mariadb', [...PATH_DIRS, '/usr/bin']);
    const databaseds = findExecutable('DataBaseds', [TANGO_BIN_DIR, ...PATH_DIRS]);

    await runToCompletion({
      name: 'mariadb-install-db',
      command: installDb,
      args: ['--no-defaults', `--datadir=${join(dir, 'data')}`, '--auth-root-authentication-method=normal', '--skip-test-db', `--user=${user}`],
    });
    const sqlPort = await freePort();
    const socket = join(dir, 'mysqld.sock');
    const mysql = spawnManaged({
      name: 'mariadbd',
      command: mariadbd,
      args: [
        '--no-defaults',
        `--datadir=${join(dir, 'data')}`,
        `--port=${sqlPort}`,
        `--socket=${socket}`,
        '--bind-address=127.0.0.1',
        `--user=${user}`,
        `--pid-file=${join(dir, 'mysqld.pid')}`,
        '--skip-log-bin',
        '--skip-name-resolve',
        '--innodb-buffer-pool-size=32M',
      ],
    });
    processes.push(mysql);
    await waitForOutput(mysql, /ready for connections/, startTimeoutMs);

    const sql = (args: readonly string[], input?: string): Promise<string> =>
      runToCompletion({ name: 'mariadb', command: client, args: ['--no-defaults', `--socket=${socket}`, '-uroot', ...args], input });
    await sql(['-e', "CREATE DATABASE tango; CREATE USER 'tango'@'127.0.0.1' IDENTIFIED BY 'tango'; GRANT ALL ON tango.* TO 'tango'@'127.0.0.1';"]);
    const script = SCHEMA_SCRIPTS.find((p) => existsSync(p));
    if (script) {
      await sql(['tango'], await readFile(script, 'utf8'));
    } else {
      const parts = SCHEMA_FALLBACK.filter((p) => existsSync(p));
      if (parts.length !== SCHEMA_FALLBACK.length) {
        throw new TangoSystemError(`the TANGO database schema (${[...SCHEMA_SCRIPTS, ...SCHEMA_FALLBACK].join(', ')}) is missing; install the Debian package tango-db`);
      }
      for (const p of parts) await sql(['tango'], await readFile(p, 'utf8'));
      await sql(['tango', '-e', 'CALL init_history_ids();']);
    }

    const dbPort = await freePort();
    const tangoHost = `127.0.0.1:${dbPort}`;
    const env: NodeJS.ProcessEnv = { ...process.env, TANGO_HOST: tangoHost, ORBendPoint: 'giop:tcp:127.0.0.1:' };
    const db = spawnManaged({
      name: 'DataBaseds',
      command: databaseds,
      args: ['2', '-ORBendPoint', `giop:tcp:127.0.0.1:${dbPort}`],
      env: { ...env, ORBendPoint: undefined, MYSQL_HOST: `127.0.0.1:${sqlPort}`, MYSQL_USER: 'tango', MYSQL_PASSWORD: 'tango' },
      cwd: dir,
    });
    processes.push(db);
    await waitForOutput(db, READY, startTimeoutMs);

    const servers: ManagedProcess[] = [];
    const python = (code: string, args: readonly string[] = []): Promise<string> =>
      runToCompletion({ name: 'python3 (PyTango)', command: DEBIAN_PYTHON, args: ['-c', code, ...args], env });

    const system: TangoSystem = {
      tangoHost,
      dir,
      env,
      async registerServer(server, instance, devices) {
        await python(REGISTER_PY, [JSON.stringify({ server, instance, devices: devices.map((d) => ({ ...d, properties: stringProps(d.properties) })) })]);
      },
      async startServer(spec) {
        const [command, ...prefix] = spec.command;
        const p = spawnManaged({ name: `${spec.server}/${spec.instance}`, command, args: [...prefix, spec.instance], env: { ...env, ...spec.env }, cwd: dir });
        servers.push(p);
        await waitForOutput(p, READY, spec.startTimeoutMs ?? startTimeoutMs);
        return Object.assign(p, { spec });
      },
      async startTangoTest(instance = 'test') {
        const exe = findExecutable('TangoTest', [TANGO_BIN_DIR, ...PATH_DIRS]);
        return system.startServer({ server: 'TangoTest', instance, command: [exe] });
      },
      python,
      async stop() {
        for (const s of servers.reverse()) await s.stop(5_000);
        await stopAll();
      },
    };
    return system;
  } catch (e) {
    await stopAll().catch(() => undefined);
    throw e;
  }
}

function stringProps(props: TangoDeviceDefinition['properties']): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(props ?? {})) out[k] = Array.isArray(v) ? v.map(String) : String(v);
  return out;
}
