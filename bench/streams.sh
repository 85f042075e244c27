#!/bin/sh
# npm run bench:streams: raises the open-files limit to the hard limit (every
# stream costs a socket in the client, two in Parley, one in the mock), then
# runs bench/streams.ts with the arguments given.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || echo "bench:streams: could not raise the open-files limit (now $(ulimit -n))" >&2
exec node --import tsx bench/streams.ts "$@"
