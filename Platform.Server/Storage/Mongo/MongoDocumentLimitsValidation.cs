using Microsoft.Extensions.Options;
using Platform.Server.Documents;

namespace Platform.Server.Storage.Mongo;

/// <summary>
/// With the Mongo provider, <c>Baas:Documents:MaxBytes</c> and <c>MaxDepth</c> must fit what MongoDB stores and what a
/// change event carries: at most <see cref="MongoErrors.MaxDocumentBytes"/> bytes (a replace's event holds the document
/// before and after, within BSON's 16 MiB) and <see cref="MongoErrors.MaxDocumentDepth"/> levels. Checked at start-up, so
/// a deployment that could write documents its change stream cannot deliver does not start.
/// </summary>
internal sealed class MongoDocumentLimitsValidation : IValidateOptions<DocumentLimits>
{
    public ValidateOptionsResult Validate(string? name, DocumentLimits options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = Failures(options).ToList();
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>One message per key, each starting with the full key (so the start-up check prints it as it is).</summary>
    internal static IEnumerable<string> Failures(DocumentLimits options)
    {
        if (options.MaxBytes > MongoErrors.MaxDocumentBytes)
        {
            yield return $"{DocumentLimits.Section}:{nameof(DocumentLimits.MaxBytes)}: is {options.MaxBytes}, but with {StorageOptions.Section}:Provider=Mongo " +
                $"it must be at most {MongoErrors.MaxDocumentBytes} (half of BSON's 16 MiB less 64 KiB: a change event carries a replaced document twice).";
        }

        if (options.MaxDepth > MongoErrors.MaxDocumentDepth)
        {
            yield return $"{DocumentLimits.Section}:{nameof(DocumentLimits.MaxDepth)}: is {options.MaxDepth}, but with {StorageOptions.Section}:Provider=Mongo " +
                $"it must be at most {MongoErrors.MaxDocumentDepth} (MongoDB stores at most 100 levels of nesting).";
        }
    }
}
