{{/*
The one pod spec of css-sync, shared by the CronJob (args: sync) and the `helm test` pod
(args: check), so the preflight runs with exactly the image, environment, secret mounts,
ServiceAccount, security context and placement of a real run and the two cannot drift.
Call: include "css-sync.podSpec" (dict "root" $ "args" (list "sync"))
With "shards" N > 1 (the CronJob's sharded sync, issue 10) the pod also gets CSS_SHARD_COUNT=N.
*/}}
{{- define "css-sync.podSpec" -}}
{{- $root := .root -}}
{{- $v := $root.Values -}}
{{- $secretDir := include "css-sync.cssSecretDir" $root -}}
restartPolicy: Never
serviceAccountName: {{ include "css-sync.serviceAccountName" $root }}
automountServiceAccountToken: {{ $v.serviceAccount.automountServiceAccountToken }}
terminationGracePeriodSeconds: {{ int64 $v.terminationGracePeriodSeconds }}
{{- with $v.priorityClassName }}
priorityClassName: {{ . | quote }}
{{- end }}
{{- with $v.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $v.podSecurityContext }}
securityContext:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $v.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $v.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $v.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
containers:
  - name: css-sync
    image: {{ include "css-sync.image" $root | quote }}
    imagePullPolicy: {{ $v.image.pullPolicy }}
    args: {{ toJson .args }}
    envFrom:
      - configMapRef:
          name: {{ include "css-sync.fullname" $root }}
    env:
      {{- /* issue 10 (shard): the sync pods of an Indexed Job; JOB_COMPLETION_INDEX is Kubernetes'. */}}
      {{- if gt (int64 (default 1 .shards)) 1 }}
      - name: CSS_SHARD_COUNT
        value: {{ .shards | toString | quote }}
      {{- end }}
      # The client secret is a file, never an environment value.
      - name: CSS_CLIENT_SECRET_FILE
        value: {{ printf "%s/%s" $secretDir $v.css.clientSecretKey | quote }}
      {{- if not $v.css.clientId }}
      - name: CSS_CLIENT_ID
        valueFrom:
          secretKeyRef:
            name: {{ include "css-sync.cssSecretName" $root }}
            key: {{ $v.css.clientIdKey }}
      {{- end }}
      {{- with $v.s3.credentials.existingSecret }}
      - name: AWS_ACCESS_KEY_ID
        valueFrom:
          secretKeyRef:
            name: {{ . }}
            key: {{ $v.s3.credentials.accessKeyIdKey }}
      - name: AWS_SECRET_ACCESS_KEY
        valueFrom:
          secretKeyRef:
            name: {{ . }}
            key: {{ $v.s3.credentials.secretAccessKeyKey }}
      {{- end }}
      {{- with $v.extraEnv }}
      {{- toYaml . | nindent 6 }}
      {{- end }}
    {{- if $v.metrics.enabled }}
    ports:
      # Named: a PodMonitor selects the port by this name.
      - name: metrics
        containerPort: {{ int64 $v.metrics.port }}
        protocol: TCP
    {{- end }}
    {{- with $v.securityContext }}
    securityContext:
      {{- toYaml . | nindent 6 }}
    {{- end }}
    {{- with $v.resources }}
    resources:
      {{- toYaml . | nindent 6 }}
    {{- end }}
    volumeMounts:
      - name: tmp
        mountPath: /tmp
      - name: css-credentials
        mountPath: {{ $secretDir }}
        readOnly: true
      {{- with $v.extraVolumeMounts }}
      {{- toYaml . | nindent 6 }}
      {{- end }}
volumes:
  - name: tmp
    emptyDir:
      {{- with $v.tmpVolume.medium }}
      medium: {{ . }}
      {{- end }}
      {{- with $v.tmpVolume.sizeLimit }}
      sizeLimit: {{ . }}
      {{- end }}
  - name: css-credentials
    secret:
      secretName: {{ include "css-sync.cssSecretName" $root }}
      # Owner-and-group read: fsGroup gives the non-root user the group.
      defaultMode: 0440
      items:
        - key: {{ $v.css.clientSecretKey }}
          path: {{ $v.css.clientSecretKey }}
  {{- with $v.extraVolumes }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- end }}
