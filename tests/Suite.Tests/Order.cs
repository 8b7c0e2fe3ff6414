using Xunit.Abstractions;
using Xunit.Sdk;

[assembly: TestCaseOrderer("PrivacySuite.Suite.Tests.ByOrder", "Suite.Tests")]

namespace PrivacySuite.Suite.Tests;

/// <summary>
/// Where a test runs in its class. The suite's tests share one topology: those that only look run before those that
/// stop, restart or fail over resources, and the drill, which kills a whole region, runs last.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class OrderAttribute(int position) : Attribute
{
    public int Position { get; } = position;
}

public sealed class ByOrder : ITestCaseOrderer
{
    public IEnumerable<TTestCase> OrderTestCases<TTestCase>(IEnumerable<TTestCase> testCases)
        where TTestCase : ITestCase =>
        testCases.OrderBy(t => t.TestMethod.Method.GetCustomAttributes(typeof(OrderAttribute)).Select(a => a.GetNamedArgument<int>(nameof(OrderAttribute.Position))).DefaultIfEmpty(int.MaxValue).First())
            .ThenBy(t => t.TestMethod.Method.Name, StringComparer.Ordinal);
}
