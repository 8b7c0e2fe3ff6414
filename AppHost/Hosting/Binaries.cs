namespace PrivacySuite.AppHost.Hosting;

/// <summary>Where the machine's packages put the infrastructure programs, and one line on how to get them when missing.</summary>
public static class Binaries
{
    public const string PostgresBin = "/usr/lib/postgresql/15/bin";
    public const string RabbitMqBin = "/usr/lib/rabbitmq/bin";

    public static string Postgres(string program) => Require(Path.Combine(PostgresBin, program), "postgresql");

    // Run these, not the /usr/sbin wrappers: as root the wrappers switch to the rabbitmq user, whose Erlang cookie differs.
    public static string RabbitMq(string program) => Require(Path.Combine(RabbitMqBin, program), "rabbitmq-server");

    public static string Require(string path, string debianPackage) =>
        File.Exists(path)
            ? path
            : throw new HostingException(
                $"{path} is missing: install it with 'apt-get install -y {debianPackage}' (./eng/run.sh and ./eng/test.sh do this when run as root).");

    public static bool IsRoot => Environment.UserName == "root";
}
