// The namespaces snippet of docs/sdk.md (checked verbatim by SdkDocTests): these usings must compile.
// <doc:usings>
using System.Text.Json.Nodes;
using Platform.Sdk;
using Platform.Sdk.Admin;
using Platform.Sdk.Auth;
// </doc:usings>

namespace Platform.Sdk.Tests.Docs;

/// <summary>Uses one type of each namespace the docs name, so a moved type breaks the build.</summary>
internal static class SdkNamespacesDoc
{
    public static readonly Type[] Named = [typeof(JsonNode), typeof(BaasClient), typeof(DocumentWatch<>), typeof(CollectionDefinition), typeof(InMemoryBaasTokenStore), typeof(BaasSession)];
}
