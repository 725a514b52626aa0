using Platform.Server.Storage;

namespace Platform.Server.Tests.Storage;

/// <summary>
/// What a provider's conformance run needs: one initialized store shared by the test class, unique
/// collection names so tests can run in parallel, and a reason to skip when the provider is not available.
/// </summary>
public interface IStoreFixture
{
    /// <summary>Null when the provider is available; otherwise why every test is skipped (e.g. no <c>BAAS_TEST_MONGO</c>).</summary>
    string? SkipReason { get; }

    /// <summary>Known, documented differences from MongoDB that some tests depend on.</summary>
    StoreCapabilities Capabilities { get; }

    /// <summary>The initialized store (only valid when <see cref="SkipReason"/> is null).</summary>
    IDocumentStore Store { get; }

    /// <summary>A collection name no other test uses.</summary>
    string NewCollectionName();
}

/// <summary>Capability flags: what a provider does beyond the common contract.</summary>
/// <param name="SortsArraysByElement">Sorting by an array-valued field uses the smallest (ascending) or largest
/// (descending) element, as MongoDB does. Otherwise arrays sort as one value in the array bracket.</param>
public sealed record StoreCapabilities(bool SortsArraysByElement);
