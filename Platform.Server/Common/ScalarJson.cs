using System.Text.Json;
using System.Text.Json.Serialization;

namespace Platform.Server.Common;

/// <summary>
/// A filter's or a cursor's scalar value as a <see cref="JsonElement"/>, through source-generated metadata.
/// <c>JsonSerializer.SerializeToElement(value)</c> without type information goes through the reflection resolver, whose
/// first use in the process builds its ~100 built-in converters (JIT-compiled, not precompiled: their generic
/// instantiations live outside the app's image); the background sweeps of start-up (audit cleanup, run retention) made
/// that first use before the first 200 (issue 13, item 5).
/// </summary>
public static class ScalarJson
{
    public static JsonElement Element(string value) => JsonSerializer.SerializeToElement(value, ScalarJsonContext.Default.String);

    public static JsonElement Element(bool value) => JsonSerializer.SerializeToElement(value, ScalarJsonContext.Default.Boolean);

    public static JsonElement Element(int value) => JsonSerializer.SerializeToElement(value, ScalarJsonContext.Default.Int32);

    public static JsonElement Element(long value) => JsonSerializer.SerializeToElement(value, ScalarJsonContext.Default.Int64);
}

[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(bool))]
[JsonSerializable(typeof(int))]
[JsonSerializable(typeof(long))]
internal sealed partial class ScalarJsonContext : JsonSerializerContext;
