using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Platform.Server.Hosting;

/// <summary>Top-level <c>Baas</c> settings.</summary>
public sealed class BaasOptions
{
    public const string Section = "Baas";

    /// <summary>Folder for the embedded store and local secrets; relative paths are resolved against the working directory.</summary>
    [Required]
    public string DataDir { get; set; } = "./baas_data";

    /// <summary>The data dir as a full path.</summary>
    public string DataDirFullPath => Path.GetFullPath(DataDir);
}

/// <summary>Checks <see cref="BaasOptions"/>'s DataAnnotations with code generated at build time (<see cref="Hosting.OptionsValidation"/>).</summary>
[OptionsValidator]
internal sealed partial class BaasOptionsValidator : IValidateOptions<BaasOptions>;
