using Npgsql;

namespace PrivacySuite.AppHost.Hosting;

public sealed record PostgresServerOptions(string Name, string StateDir, int Port, string Password)
{
    /// <summary>fsync off: for tests only. The suite's own run keeps PostgreSQL's durable defaults.</summary>
    public bool Durable { get; init; } = true;

    /// <summary>Extra postgresql.conf lines (replication settings, for example).</summary>
    public IReadOnlyList<string> ExtraSettings { get; init; } = [];
}

/// <summary>
/// A PostgreSQL 15 cluster from Debian's package, run as a child process with its data in the state folder.
/// initdb and the server refuse root, so as root both run as the <c>postgres</c> user.
/// </summary>
public sealed class PostgresServer(PostgresServerOptions options, Action<string> output) : IAsyncDisposable
{
    public const string SuperUser = "postgres";
    private ChildProcess? _process;

    public PostgresServerOptions Options => options;

    public string Directory => Path.Combine(options.StateDir, options.Name);

    public string DataDirectory => Path.Combine(Directory, "data");

    public int Port => options.Port;

    public ChildProcess? Process => _process;

    /// <summary>A connection string for <paramref name="database"/>, in the form Aspire gives services.</summary>
    public string ConnectionString(string database = "postgres") =>
        $"Host=127.0.0.1;Port={options.Port};Username={SuperUser};Password={options.Password};Database={database}";

    /// <summary>
    /// Everything before the server process itself: initdb on first use, the settings file, and ownership. The AppHost
    /// calls this before each start of its executable resource; <see cref="StartAsync"/> (tests) does the same.
    /// </summary>
    public async Task PrepareAsync(CancellationToken cancellationToken)
    {
        Binaries.Postgres("postgres");
        if (!File.Exists(Path.Combine(DataDirectory, "PG_VERSION")))
        {
            await InitDbAsync(cancellationToken);
        }

        await WriteSettingsAsync(cancellationToken);
    }

    /// <summary>Writes privacysuite.conf (included by postgresql.conf) and gives the folder to the postgres user.</summary>
    public async Task WriteSettingsAsync(CancellationToken cancellationToken)
    {
        await File.WriteAllLinesAsync(Path.Combine(DataDirectory, "privacysuite.conf"), Settings(), cancellationToken);
        await OwnAsync(cancellationToken);
    }

    /// <summary>The server in the foreground, as the postgres user when we are root.</summary>
    public (string Program, IReadOnlyList<string> Arguments) ServerCommand
    {
        get
        {
            var postgres = Binaries.Postgres("postgres");
            return (AsPostgresUser(postgres), AsPostgresUserArgs(postgres, ["-D", DataDirectory]).ToList());
        }
    }

    /// <summary>Starts the cluster as a child process of this one (tests and benchmarks; the AppHost runs it through DCP).</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await PrepareAsync(cancellationToken);
        Ports.EnsureFree(options.Port, options.Name, $"the {options.Name} port option");
        var (program, arguments) = ServerCommand;
        _process = ChildProcess.Start(program, arguments, new Dictionary<string, string?>(), output);
        await WaitUntilReadyAsync(TimeSpan.FromSeconds(60), cancellationToken);
    }

    /// <summary>Fast shutdown (SIGINT): open sessions are ended, then the cluster checkpoints and exits.</summary>
    public Task StopAsync() => _process?.StopAsync(ChildProcess.SigInt, TimeSpan.FromSeconds(20)) ?? Task.CompletedTask;

    /// <summary>Crash-stops the cluster (SIGKILL to the postmaster and every backend), as a power loss would.</summary>
    public Task KillAsync() => _process?.StopAsync(ChildProcess.SigKill, TimeSpan.FromSeconds(5)) ?? Task.CompletedTask;

    public async Task<bool> IsHealthyAsync(CancellationToken cancellationToken) =>
        _process is { HasExited: false } && await AcceptsQueriesAsync(cancellationToken);

    /// <summary>Whether the cluster answers a query, whoever started it (the AppHost's health check asks this).</summary>
    public async Task<bool> AcceptsQueriesAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = new NpgsqlConnection(ConnectionString() + ";Pooling=false;Timeout=3");
            await connection.OpenAsync(cancellationToken);
            await using var command = new NpgsqlCommand("select 1", connection);
            await command.ExecuteScalarAsync(cancellationToken);
            return true;
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>Creates <paramref name="database"/> unless it exists (Aspire's AddDatabase does the same).</summary>
    public async Task CreateDatabaseAsync(string database, CancellationToken cancellationToken = default)
    {
        await using var connection = new NpgsqlConnection(ConnectionString() + ";Pooling=false");
        await connection.OpenAsync(cancellationToken);
        await using var exists = new NpgsqlCommand("select count(*) from pg_database where datname = @name", connection);
        exists.Parameters.AddWithValue("name", database);
        if ((long)(await exists.ExecuteScalarAsync(cancellationToken))! == 0)
        {
            await using var create = new NpgsqlCommand($"create database \"{database.Replace("\"", "\"\"")}\"", connection);
            await create.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    /// <summary>
    /// Gives one service a database of its own: a login role <paramref name="owner"/> (not a superuser, cannot create
    /// roles or databases) owns <paramref name="database"/> and its public schema, and nobody else but a superuser may
    /// connect to it. A database from before services had roles is handed over with every object in it. Safe to run
    /// on every start. Answers the owner's connection string.
    /// </summary>
    public async Task<string> CreateOwnedDatabaseAsync(string database, string owner, string password, CancellationToken cancellationToken = default)
    {
        await CreateDatabaseAsync(database, cancellationToken);
        var role = Quote(owner);
        await ExecuteAsync("postgres",
            $"""
            do $$ begin
              if not exists (select from pg_roles where rolname = {Literal(owner)}) then create role {role}; end if;
            end $$;
            alter role {role} with login nosuperuser nocreatedb nocreaterole noreplication password {Literal(password)};
            alter database {Quote(database)} owner to {role};
            revoke all on database {Quote(database)} from public;
            """, cancellationToken);
        await ExecuteAsync(database,
            $"""
            alter schema public owner to {role};
            revoke all on schema public from public;
            do $$ declare o record; begin
              for o in
                select case c.relkind when 'S' then 'sequence' when 'v' then 'view' when 'm' then 'materialized view' when 'c' then 'type' else 'table' end as kind,
                       c.oid::regclass::text as name
                from pg_class c
                where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p', 'v', 'm', 'S', 'c') and c.relowner <> {Literal(owner)}::regrole
                  -- a sequence of an identity or serial column follows its table
                  and (c.relkind <> 'S' or not exists (select from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype in ('a', 'i')))
                union all
                select 'routine', p.oid::regprocedure::text from pg_proc p
                where p.pronamespace = 'public'::regnamespace and p.proowner <> {Literal(owner)}::regrole
              loop
                execute format('alter %s %s owner to %I', o.kind, o.name, {Literal(owner)});
              end loop;
            end $$;
            """, cancellationToken);
        return $"Host=127.0.0.1;Port={options.Port};Username={owner};Password={password};Database={database}";
    }

    private async Task ExecuteAsync(string database, string sql, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(ConnectionString(database) + ";Pooling=false");
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static string Quote(string identifier) => $"\"{identifier.Replace("\"", "\"\"")}\"";

    private static string Literal(string value) => $"'{value.Replace("'", "''")}'";

    public ValueTask DisposeAsync() => _process?.DisposeAsync() ?? ValueTask.CompletedTask;

    private IEnumerable<string> Settings()
    {
        yield return "listen_addresses = '127.0.0.1'";
        yield return $"port = {options.Port}";
        // TCP on 127.0.0.1 only: a socket path under a deep state folder can pass the 107-byte limit of Unix sockets.
        yield return "unix_socket_directories = ''";
        yield return $"cluster_name = '{options.Name}'";
        // Npgsql pools up to 100 connections per connection string by default: a region's five services, the operations
        // console, replication and, in tests, several service hosts at once share one cluster. 200 ran out once under a
        // test run (53300); a slot costs a few hundred bytes of shared memory until it is used.
        yield return "max_connections = 500";
        // The services' queue tables (deliveries, outboxes) change thousands of rows a second; a database is looked at
        // for tables due a vacuum every 5 s rather than every minute, so their dead index entries do not pile up.
        yield return "autovacuum_naptime = 5s";
        yield return "logging_collector = off";
        yield return "log_min_messages = warning";
        if (!options.Durable)
        {
            yield return "fsync = off";
            yield return "full_page_writes = off";
            yield return "synchronous_commit = off";
        }

        foreach (var line in options.ExtraSettings)
        {
            yield return line;
        }
    }

    private async Task InitDbAsync(CancellationToken cancellationToken)
    {
        System.IO.Directory.CreateDirectory(DataDirectory);
        var passwordFile = Path.Combine(Directory, "initdb.pw");
        await File.WriteAllTextAsync(passwordFile, options.Password, cancellationToken);
        await OwnAsync(cancellationToken);
        try
        {
            var initdb = Binaries.Postgres("initdb");
            var (code, text) = await ChildProcess.RunAsync(AsPostgresUser(initdb), AsPostgresUserArgs(initdb,
                ["-D", DataDirectory, "-U", SuperUser, $"--pwfile={passwordFile}", "--auth-host=scram-sha-256",
                 "--auth-local=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-instructions"]),
                timeout: TimeSpan.FromSeconds(120), cancellationToken: cancellationToken);
            if (code != 0)
            {
                throw new HostingException($"initdb for {options.Name} failed ({code}): {text.Trim()}");
            }
        }
        finally
        {
            File.Delete(passwordFile);
        }

        await File.AppendAllTextAsync(Path.Combine(DataDirectory, "postgresql.conf"),
            "\n# Written by the PrivacySuite AppHost on every start.\ninclude = 'privacysuite.conf'\n", cancellationToken);
    }

    internal async Task OwnAsync(CancellationToken cancellationToken)
    {
        if (!Binaries.IsRoot)
        {
            return;
        }

        var (code, text) = await ChildProcess.RunAsync("chown", ["-R", "postgres:postgres", Directory], cancellationToken: cancellationToken);
        if (code != 0)
        {
            throw new HostingException($"Could not give {Directory} to the postgres user: {text.Trim()}");
        }

        if (System.IO.Directory.Exists(DataDirectory))
        {
            File.SetUnixFileMode(DataDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    internal static string AsPostgresUser(string program) => Binaries.IsRoot ? "setpriv" : program;

    internal static IEnumerable<string> AsPostgresUserArgs(string program, IEnumerable<string> args) =>
        Binaries.IsRoot
            ? ["--reuid=postgres", "--regid=postgres", "--init-groups", "--reset-env", program, .. args]
            : args;

    private async Task WaitUntilReadyAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process!.HasExited)
            {
                throw new HostingException($"PostgreSQL {options.Name} exited during start-up (code {await _process.Exited}); see its log above.");
            }

            if (await IsHealthyAsync(cancellationToken))
            {
                return;
            }

            await Task.Delay(100, cancellationToken);
        }

        throw new HostingException($"PostgreSQL {options.Name} did not accept connections on port {options.Port} within {timeout.TotalSeconds:0} s.");
    }
}
