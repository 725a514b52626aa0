using System.Text.Json.Serialization;

namespace Platform.Server.Admin;

/// <summary>
/// Source-generated metadata for the admin endpoints' JSON body that the request delegate generator resolves when the
/// route table is built (at the first request): <see cref="AdminPatchRequest"/> is the API's only body parameter the
/// generator binds itself, and resolving it through the reflection resolver made that resolver's first use (its ~100
/// built-in converters JIT-compiled) part of the first request (issue 13, item 5). Inserted first in the HTTP JSON
/// options' resolver chain; the options' naming policy and case-insensitivity apply as before.
/// </summary>
[JsonSerializable(typeof(AdminPatchRequest))]
internal sealed partial class AdminJsonContext : JsonSerializerContext;
