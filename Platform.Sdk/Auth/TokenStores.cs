using System.Text.Json;

namespace Platform.Sdk.Auth;

/// <summary>
/// Where the client keeps the signed-in user's session between requests and, for persistent stores, between
/// runs. Set it in <see cref="BaasClientOptions.TokenStore"/>; the default is <see cref="InMemoryBaasTokenStore"/>.
/// The client calls it from any thread, one call at a time per client.
/// </summary>
public interface IBaasTokenStore
{
    /// <summary>The stored session, or null when nobody is signed in.</summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The session, or null.</returns>
    ValueTask<BaasSession?> LoadAsync(CancellationToken cancellationToken = default);

    /// <summary>Stores <paramref name="session"/>, replacing any previous one.</summary>
    /// <param name="session">The session to keep.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the session is stored.</returns>
    ValueTask SaveAsync(BaasSession session, CancellationToken cancellationToken = default);

    /// <summary>Forgets the session (sign-out).</summary>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the session is gone.</returns>
    ValueTask ClearAsync(CancellationToken cancellationToken = default);
}

/// <summary>Keeps the session in memory: it ends with the process. Share one instance to share a sign-in between clients.</summary>
public sealed class InMemoryBaasTokenStore : IBaasTokenStore
{
    private volatile BaasSession? _session;

    /// <inheritdoc/>
    public ValueTask<BaasSession?> LoadAsync(CancellationToken cancellationToken = default) => ValueTask.FromResult(_session);

    /// <inheritdoc/>
    public ValueTask SaveAsync(BaasSession session, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        _session = session;
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    public ValueTask ClearAsync(CancellationToken cancellationToken = default)
    {
        _session = null;
        return ValueTask.CompletedTask;
    }
}

/// <summary>
/// Keeps the session in a JSON file, so a desktop or command-line app stays signed in across runs. The file holds
/// the refresh token: on Linux and macOS it is created readable by the current user only; elsewhere put it in
/// a folder only that user can read (e.g. under <see cref="Environment.SpecialFolder.LocalApplicationData"/>).
/// Writes replace the file atomically.
/// </summary>
public sealed class FileBaasTokenStore : IBaasTokenStore
{
    private static readonly JsonSerializerOptions Serializer = new(JsonSerializerDefaults.Web);

    /// <summary>Creates a store over <paramref name="path"/>; its folder is created on the first save.</summary>
    /// <param name="path">The file, e.g. <c>~/.config/myapp/session.json</c>.</param>
    public FileBaasTokenStore(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Path = System.IO.Path.GetFullPath(path);
    }

    /// <summary>The file the session is kept in.</summary>
    public string Path { get; }

    /// <inheritdoc/>
    public async ValueTask<BaasSession?> LoadAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            await using var stream = File.OpenRead(Path);
            return await JsonSerializer.DeserializeAsync<BaasSession>(stream, Serializer, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        catch (JsonException)
        {
            // A damaged file is a lost session, not a reason the app cannot start.
            return null;
        }
    }

    /// <inheritdoc/>
    public async ValueTask SaveAsync(BaasSession session, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        var folder = System.IO.Path.GetDirectoryName(Path)!;
        Directory.CreateDirectory(folder);
        var temporary = System.IO.Path.Combine(folder, "." + System.IO.Path.GetFileName(Path) + "." + Guid.NewGuid().ToString("N") + ".tmp");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        try
        {
            await using (var stream = new FileStream(temporary, options))
            {
                await JsonSerializer.SerializeAsync(stream, session, Serializer, cancellationToken).ConfigureAwait(false);
            }

            File.Move(temporary, Path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    /// <inheritdoc/>
    public ValueTask ClearAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            File.Delete(Path);
        }
        catch (DirectoryNotFoundException)
        {
            // Never saved: nothing to forget.
        }

        return ValueTask.CompletedTask;
    }
}
