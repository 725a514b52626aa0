// Saves a download the dashboard fetched with the admin token (never put in a URL): the .NET stream becomes a
// Blob, an object URL and a click on a temporary link; the URL is revoked right after.
window.baasAdmin = window.baasAdmin || {};
window.baasAdmin.saveFile = async function (fileName, contentType, streamReference) {
    const buffer = await streamReference.arrayBuffer();
    const url = URL.createObjectURL(new Blob([buffer], { type: contentType }));
    try {
        const link = document.createElement('a');
        link.href = url;
        link.download = fileName;
        link.style.display = 'none';
        document.body.appendChild(link);
        link.click();
        link.remove();
    } finally {
        setTimeout(() => URL.revokeObjectURL(url), 0);
    }
};
