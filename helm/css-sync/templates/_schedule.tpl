{{/*
Template-time schedule rule: a run's activeDeadlineSeconds (and startingDeadlineSeconds) must be
shorter than the shortest interval between two firings of .Values.schedule, so a run always ends
before the next is due. `css-sync.checkSchedule` fails the render with a message naming both.

Parsed: the macros @hourly @daily @midnight @weekly @monthly @yearly @annually, and five-field
expressions whose minute, hour and day-of-week fields are comma lists of numeric items: a star,
N, A-B, and either of those with a /STEP (every 15 minutes, minute 17 of every hour, every 6
hours, 02:30 daily, midnight Monday to Friday, ...), with day-of-month and month a star. With a
timeZone, intervals over an hour lose one hour (a DST change). Not parsed (no template-time
check; helm/check.py still evaluates the full expression for its cases): a restricted
day-of-month or month, names (MON, JAN), L, W, #. The README lists the same.
*/}}

{{/* The values of one cron field as "a,b,c" in ascending order, or "x" when not parsed.
     Call: include "css-sync.cronValues" (dict "field" "0-30/15" "lo" 0 "hi" 59) */}}
{{- define "css-sync.cronValues" -}}
{{- $lo := int .lo -}}
{{- $hi := int .hi -}}
{{- $seen := dict -}}
{{- $ok := true -}}
{{- range $part := splitList "," .field -}}
{{- if regexMatch "^(\\*|[0-9]+(-[0-9]+)?)(/[0-9]+)?$" $part -}}
{{- $rs := splitList "/" $part -}}
{{- $rng := first $rs -}}
{{- $step := 1 -}}
{{- if eq (len $rs) 2 }}{{ $step = atoi (last $rs) }}{{ end -}}
{{- $a := $lo -}}
{{- $b := $hi -}}
{{- if ne $rng "*" -}}
{{- $ab := splitList "-" $rng -}}
{{- $a = atoi (first $ab) -}}
{{- $b = atoi (last $ab) -}}
{{- if and (eq (len $ab) 1) (eq (len $rs) 2) }}{{ $b = $hi }}{{ end -}}
{{- end -}}
{{- if or (lt $step 1) (lt $a $lo) (gt $b $hi) (gt $a $b) -}}
{{- $ok = false -}}
{{- else -}}
{{- range $x := untilStep $a (int (add $b 1)) $step }}{{ $_ := set $seen (toString $x) true }}{{ end -}}
{{- end -}}
{{- else -}}
{{- $ok = false -}}
{{- end -}}
{{- end -}}
{{- if $ok -}}
{{- $out := list -}}
{{- range $x := untilStep $lo (int (add $hi 1)) 1 }}{{ if hasKey $seen (toString $x) }}{{ $out = append $out (toString $x) }}{{ end }}{{ end -}}
{{- join "," $out -}}
{{- else -}}
x
{{- end -}}
{{- end -}}

{{/* Smallest gap between successive values (ascending ints), across the wrap when .wrap.
     Call: include "css-sync.cronMinGap" (dict "values" (list 0 15) "period" 60 "wrap" true) */}}
{{- define "css-sync.cronMinGap" -}}
{{- $vs := .values -}}
{{- $min := int .period -}}
{{- range $i, $v := $vs -}}
{{- if gt $i 0 -}}
{{- $g := int (sub $v (index $vs (sub $i 1))) -}}
{{- if lt $g $min }}{{ $min = $g }}{{ end -}}
{{- end -}}
{{- end -}}
{{- if .wrap -}}
{{- $g := int (sub (add .period (first $vs)) (last $vs)) -}}
{{- if lt $g $min }}{{ $min = $g }}{{ end -}}
{{- end -}}
{{- $min -}}
{{- end -}}

{{/* "a,b" -> list of ints */}}
{{- define "css-sync.intList" -}}
{{- $out := list -}}
{{- range $s := splitList "," . }}{{ $out = append $out (atoi $s) }}{{ end -}}
{{- toJson $out -}}
{{- end -}}

{{/* Shortest interval in seconds between two firings of a cron expression, "" when not parsed. */}}
{{- define "css-sync.scheduleInterval" -}}
{{- $expr := regexReplaceAll "\\s+" (trim .) " " -}}
{{- $fixed := dict "@monthly" 2419200 "@yearly" 31536000 "@annually" 31536000 -}}
{{- $macros := dict "@hourly" "0 * * * *" "@daily" "0 0 * * *" "@midnight" "0 0 * * *" "@weekly" "0 0 * * 0" -}}
{{- if hasKey $fixed $expr -}}
{{- get $fixed $expr -}}
{{- else -}}
{{- $expr = get $macros $expr | default $expr -}}
{{- $f := splitList " " $expr -}}
{{- if and (eq (len $f) 5) (has (index $f 2) (list "*" "?")) (has (index $f 3) (list "*" "?")) -}}
{{- $m := include "css-sync.cronValues" (dict "field" (index $f 0) "lo" 0 "hi" 59) -}}
{{- $h := include "css-sync.cronValues" (dict "field" (index $f 1) "lo" 0 "hi" 23) -}}
{{- $dowField := index $f 4 | replace "?" "*" -}}
{{- $d := include "css-sync.cronValues" (dict "field" $dowField "lo" 0 "hi" 7) -}}
{{- if not (has "x" (list $m $h $d)) -}}
{{- $ms := include "css-sync.intList" $m | fromJsonArray -}}
{{- $hs := include "css-sync.intList" $h | fromJsonArray -}}
{{- /* Day of week 7 is Sunday, as 0. */ -}}
{{- $days := dict -}}
{{- range $x := include "css-sync.intList" $d | fromJsonArray }}{{ $_ := set $days (toString (mod (int $x) 7)) true }}{{ end -}}
{{- $dsInt := list -}}
{{- range $x := untilStep 0 7 1 }}{{ if hasKey $days (toString $x) }}{{ $dsInt = append $dsInt $x }}{{ end }}{{ end -}}
{{- if gt (len $ms) 1 -}}
{{- /* Minute gaps; across the hour only when two successive hours fire. */ -}}
{{- $consecutive := eq (include "css-sync.cronMinGap" (dict "values" $hs "period" 24 "wrap" true)) "1" -}}
{{- mul 60 (atoi (include "css-sync.cronMinGap" (dict "values" $ms "period" 60 "wrap" $consecutive))) -}}
{{- else if gt (len $hs) 1 -}}
{{- mul 3600 (atoi (include "css-sync.cronMinGap" (dict "values" $hs "period" 24 "wrap" true))) -}}
{{- else -}}
{{- mul 86400 (atoi (include "css-sync.cronMinGap" (dict "values" $dsInt "period" 7 "wrap" true))) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Fails the render when a deadline is not shorter than the schedule interval. */}}
{{- define "css-sync.checkSchedule" -}}
{{- $v := .Values -}}
{{- $interval := include "css-sync.scheduleInterval" $v.schedule -}}
{{- if $interval -}}
{{- $i := atoi $interval -}}
{{- if and $v.timeZone (gt $i 3600) }}{{ $i = sub $i 3600 }}{{ end -}}
{{- range $name := list "activeDeadlineSeconds" "startingDeadlineSeconds" -}}
{{- $d := int64 (get $v $name) -}}
{{- if ge $d (int64 $i) -}}
{{- fail (printf "%s (%ds) must be shorter than the interval of schedule %q (%ds%s): a run must end before the next one is due. Lower %s below %d or schedule less often." $name $d $v.schedule (int64 $i) (ternary ", one hour less for a DST change in timeZone" "" (and (not (empty $v.timeZone)) (gt (int64 $interval) 3600))) $name (int64 $i)) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
