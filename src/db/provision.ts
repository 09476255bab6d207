import pg from 'pg';
import { StartupError } from '../startup-error.js';

/** Quote an identifier for SQL built from trusted, validated names only. */
export function ident(name: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`Refusing unsafe SQL identifier: ${name}`);
  return `"${name}"`;
}

export function literal(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

export function withCredentials(url: string, user: string, password: string, database?: string): string {
  const u = new URL(url);
  u.username = encodeURIComponent(user);
  u.password = encodeURIComponent(password);
  if (database) u.pathname = `/${database}`;
  return u.toString();
}

export function urlUser(url: string): string {
  return decodeURIComponent(new URL(url).username);
}

export function urlDatabase(url: string): string {
  return decodeURIComponent(new URL(url).pathname.replace(/^\//, '')) || 'postgres';
}

export async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  // A database that does not answer fails start-up in 10 s rather than at the TCP timeout.
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * Creates or updates a login role that cannot bypass row-level security.
 * The password is (re)set each time so it always matches the configured secret.
 */
export async function ensureLoginRole(client: pg.Client, name: string, password: string): Promise<void> {
  const exists = await client.query('select 1 from pg_roles where rolname = $1', [name]);
  const verb = exists.rowCount ? 'alter' : 'create';
  await client.query(
    `${verb} role ${ident(name)} with login nosuperuser nocreatedb nocreaterole nobypassrls password ${literal(password)}`,
  );
}

/**
 * The backup role (R2): reads every row, whatever the row-level security policies say. Under FORCE
 * row-level security even the owner's reads are filtered, so a dump needs BYPASSRLS. It is read-only:
 * a member of pg_read_all_data (SELECT on every table, view and sequence, future ones included), no
 * other grants, and its sessions default to read-only transactions. Only a superuser may create a
 * BYPASSRLS role.
 */
export async function ensureBackupRole(
  client: pg.Client,
  name: string,
  password: string,
  database: string,
): Promise<void> {
  const exists = await client.query('select 1 from pg_roles where rolname = $1', [name]);
  const verb = exists.rowCount ? 'alter' : 'create';
  await client.query(
    `${verb} role ${ident(name)} with login nosuperuser nocreatedb nocreaterole bypassrls password ${literal(password)}`,
  );
  await client.query(`grant pg_read_all_data to ${ident(name)}`);
  await client.query(`alter role ${ident(name)} set default_transaction_read_only = on`);
  await client.query(`grant connect on database ${ident(database)} to ${ident(name)}`);
}

export interface EmbeddedRoles {
  database: string;
  owner: { name: string; password: string };
  runtime: { name: string; password: string };
  /** The backup role (R2), created when given. */
  backup?: { name: string; password: string };
}

/**
 * On the embedded cluster, the superuser creates the roles and the database.
 * The owner role owns the schema and runs migrations; the runtime role serves requests; the
 * backup role reads everything for `npm run backup`.
 */
export async function provisionEmbedded(superuserUrl: string, roles: EmbeddedRoles): Promise<void> {
  await withClient(superuserUrl, async (client) => {
    await ensureLoginRole(client, roles.owner.name, roles.owner.password);
    await ensureLoginRole(client, roles.runtime.name, roles.runtime.password);
    const db = await client.query('select 1 from pg_database where datname = $1', [roles.database]);
    if (!db.rowCount) {
      await client.query(
        `create database ${ident(roles.database)} owner ${ident(roles.owner.name)} encoding 'UTF8' template template0`,
      );
    }
    await client.query(`revoke all on database ${ident(roles.database)} from public`);
    await client.query(`grant connect on database ${ident(roles.database)} to ${ident(roles.runtime.name)}`);
    if (roles.backup) await ensureBackupRole(client, roles.backup.name, roles.backup.password, roles.database);
  });
}

export interface ExternalRuntime {
  url: string;
  createdRole: boolean;
}

/**
 * With only DATABASE_URL (the owner), start-up creates the runtime role itself when the owner may
 * create roles. Otherwise RUNTIME_DATABASE_URL must be given; the README says how.
 */
export async function provisionExternalRuntime(
  ownerUrl: string,
  roleName: string,
  password: string,
): Promise<ExternalRuntime> {
  return withClient(ownerUrl, async (client) => {
    const me = await client.query<{ rolcreaterole: boolean; rolsuper: boolean }>(
      'select rolcreaterole, rolsuper from pg_roles where rolname = current_user',
    );
    const row = me.rows[0];
    if (!row || !(row.rolcreaterole || row.rolsuper)) {
      throw new StartupError(
        'DATABASE_URL connects as a role that cannot create roles, so RUNTIME_DATABASE_URL must be set to a separate ' +
          'login role that is not the owner, not a superuser and not BYPASSRLS (see README, "Using your own PostgreSQL").',
      );
    }
    await ensureLoginRole(client, roleName, password);
    const database = urlDatabase(ownerUrl);
    await client.query(`grant connect on database ${ident(database)} to ${ident(roleName)}`);
    return { url: withCredentials(ownerUrl, roleName, password), createdRole: true };
  });
}

/** The runtime role must be subject to row-level security: refuse to serve otherwise (T1). */
export async function assertRuntimeRoleIsConfined(runtimeUrl: string): Promise<void> {
  await withClient(runtimeUrl, async (client) => {
    const { rows } = await client.query<{ rolsuper: boolean; rolbypassrls: boolean; owns: number }>(
      `select r.rolsuper, r.rolbypassrls,
              (select count(*)::int from pg_class c join pg_namespace n on n.oid = c.relnamespace
                where n.nspname = 'public' and pg_has_role(current_user, c.relowner, 'USAGE')) as owns
         from pg_roles r where r.rolname = current_user`,
    );
    const r = rows[0];
    if (!r || r.rolsuper || r.rolbypassrls || r.owns > 0) {
      throw new StartupError(
        'The runtime database role must not be a superuser, must not have BYPASSRLS and must not own (or be a member of the owner of) the tables. Waypoint will not start with it.',
      );
    }
  });
}
