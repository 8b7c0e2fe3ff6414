using Npgsql;
using PrivacySuite.Testing;

namespace PrivacySuite.AppHost.Tests;

/// <summary>Each service's database is owned by a role of its own, which is no superuser and reaches no other database.</summary>
public sealed class OwnedDatabaseTests
{
    [Fact]
    [Trait("Clause", "IWK-2.2")]
    public async Task A_service_role_owns_its_database_and_everything_in_it_and_nothing_else()
    {
        var infrastructure = await SuiteInfrastructure.GetAsync();
        var postgres = infrastructure.Postgres;
        var other = await infrastructure.CreateOwnedDatabaseAsync("other");

        // A database from before services had roles: everything in it belongs to the superuser.
        var name = $"legacy_{Guid.NewGuid():N}"[..20];
        await postgres.CreateDatabaseAsync(name);
        await ExecuteAsync(postgres.ConnectionString(name),
            """
            create table notes (id bigint generated always as identity primary key, body text not null);
            create table counters (id serial primary key);
            create sequence tickets;
            create type token as (a text, b int);
            create view recent as select id from notes;
            create function refuse() returns trigger language plpgsql as $$ begin raise exception 'append-only'; end $$;
            create trigger notes_append_only before update or delete on notes for each row execute function refuse();
            """);

        var owner = await postgres.CreateOwnedDatabaseAsync(name, name, "owner-secret");
        await postgres.CreateOwnedDatabaseAsync(name, name, "owner-secret"); // every start runs it again

        var notOwned = await QueryAsync(postgres.ConnectionString(name),
            $"""
            select count(*) from (
              select relowner as o from pg_class where relnamespace = 'public'::regnamespace
              union all select proowner from pg_proc where pronamespace = 'public'::regnamespace
              union all select typowner from pg_type where typnamespace = 'public'::regnamespace
              union all select nspowner from pg_namespace where nspname = 'public') objects
            where o <> '{name}'::regrole
            """);
        Assert.Equal(0L, notOwned);

        // The owner runs the next migration on what it was handed, and writes.
        await ExecuteAsync(owner, "alter table notes add column at timestamptz; alter type token add attribute c text; insert into notes (body) values ('x')");
        Assert.False((bool)(await QueryAsync(owner, "select rolsuper or rolcreaterole or rolcreatedb from pg_roles where rolname = current_user"))!);

        // Not another service's database, not a role of its own making.
        var refused = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(
            new NpgsqlConnectionStringBuilder(owner) { Database = new NpgsqlConnectionStringBuilder(other.Owner).Database }.ConnectionString, "select 1"));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, refused.SqlState);
        refused = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(owner, "create role intruder superuser"));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, refused.SqlState);
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString + ";Pooling=false");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<object?> QueryAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString + ";Pooling=false");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }
}
