# The demo's catalogue from the preset (scripts/demo.sh, jq -f): only the
# games in $keep; those in $move get the demo's time zone $tz. The demo
# keeps the games whose 15:00 cutoff falls at its cutoff instant, and moves
# those whose 15:00 is another zone's (keno's is London's) to 15:00 in $tz:
# one cutoff, so one selling day sells every family. Only the schedule's
# time zone changes; the rest of each game is the preset's.
.games |= map(select(.id as $g | $keep | index($g))
              | if (.id as $g | $move | index($g)) then .schedule.tz = $tz else . end)
