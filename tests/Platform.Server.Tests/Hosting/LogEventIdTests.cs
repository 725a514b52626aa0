using System.Reflection;
using Microsoft.Extensions.Logging;
using Platform.Server.Hosting;

namespace Platform.Server.Tests.Hosting;

/// <summary>Log event ids identify one message each (STYLE.md: stable event ids), so filters and alerts can rely on them.</summary>
public class LogEventIdTests
{
    private const BindingFlags AllMethods = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly;

    private static IEnumerable<(MethodInfo Method, LoggerMessageAttribute Attribute)> LoggerMessages() =>
        from type in typeof(BaasOptions).Assembly.GetTypes()
        from method in type.GetMethods(AllMethods)
        let attribute = method.GetCustomAttribute<LoggerMessageAttribute>()
        where attribute is not null
        select (method, attribute);

    private static string Name(MethodInfo method) => $"{method.DeclaringType!.FullName}.{method.Name}";

    [Fact]
    public void EveryLoggerMessage_HasAnEventId_UsedByNoOtherMessage()
    {
        var messages = LoggerMessages().ToList();
        Assert.True(messages.Count > 50, $"Found only {messages.Count} [LoggerMessage] methods: the scan misses some.");

        Assert.Empty(messages.Where(m => m.Attribute.EventId <= 0).Select(m => Name(m.Method)));
        var duplicates = messages
            .GroupBy(m => m.Attribute.EventId)
            .Where(g => g.Count() > 1)
            .Select(g => $"{g.Key}: {string.Join(", ", g.Select(m => Name(m.Method)))}")
            .ToList();
        Assert.True(duplicates.Count == 0, "Event ids used more than once:\n" + string.Join("\n", duplicates));
    }
}
