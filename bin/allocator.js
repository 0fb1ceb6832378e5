// Imported first by bin/mixdown.js, before anything loads the rolldown binding.
//
// Loading a song bundles its modules with rolldown, native code that allocates with mimalloc.
// mimalloc gives freed pages back to the system only when it is called again after a delay
// (MIMALLOC_PURGE_DELAY, 10 ms by default), and once the songs are loaded nothing calls it:
// the peers bench's main thread kept 56 MB of the transform's freed pages through the build. With no delay they go back as they are freed (26 MB kept).
// A value the user set is left as it is.
process.env.MIMALLOC_PURGE_DELAY ??= '0';
