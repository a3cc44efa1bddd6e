{{/* Name of the chart's objects: the release name, or release-reporter. */}}
{{- define "reporter.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 52 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 52 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "reporter.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "reporter.labels" -}}
{{ include "reporter.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "reporter.serviceAccountName" -}}
{{- required "serviceAccount.name is required" .Values.serviceAccount.name -}}
{{- end -}}

{{/* The Secret holding the Slack token, or "" when there is none. */}}
{{- define "reporter.slackSecretName" -}}
{{- if .Values.slack.existingSecret -}}
{{- .Values.slack.existingSecret -}}
{{- else if .Values.slack.token -}}
{{- printf "%s-slack" (include "reporter.fullname" .) -}}
{{- end -}}
{{- end -}}

{{- define "reporter.slackSecretKey" -}}
{{- if .Values.slack.existingSecret -}}{{ .Values.slack.existingSecretKey }}{{- else -}}bot-token{{- end -}}
{{- end -}}

{{- define "reporter.claimName" -}}
{{- .Values.persistence.existingClaim | default (printf "%s-data" (include "reporter.fullname" .)) -}}
{{- end -}}

{{- define "reporter.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) -}}
{{- end -}}

{{/* The pod spec shared by the CronJob and the Deployment; args in .args. */}}
{{- define "reporter.podSpec" -}}
{{- $ := .root -}}
serviceAccountName: {{ include "reporter.serviceAccountName" $ }}
# IRSA and Pod Identity mount their own token; the API token is not needed.
automountServiceAccountToken: false
{{- with $.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  runAsNonRoot: true
  runAsUser: 65532
  runAsGroup: 65532
  fsGroup: 65532
  seccompProfile:
    type: RuntimeDefault
containers:
  - name: reporter
    image: {{ include "reporter.image" $ }}
    imagePullPolicy: {{ $.Values.image.pullPolicy }}
    args:
      {{- toYaml .args | nindent 6 }}
    env:
      - name: REPORTER_LOG_FORMAT
        value: json
      - name: GOMEMLIMIT
        value: {{ $.Values.goMemLimit | quote }}
      {{- $secret := include "reporter.slackSecretName" $ }}
      {{- if $secret }}
      - name: SLACK_BOT_TOKEN
        valueFrom:
          secretKeyRef:
            name: {{ $secret }}
            key: {{ include "reporter.slackSecretKey" $ }}
      {{- end }}
    {{- with .ports }}
    ports:
      {{- toYaml . | nindent 6 }}
    {{- end }}
    {{- with .probes }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
    securityContext:
      allowPrivilegeEscalation: false
      readOnlyRootFilesystem: true
      privileged: false
      capabilities:
        drop: [ALL]
    resources:
      {{- toYaml $.Values.resources | nindent 6 }}
    volumeMounts:
      - name: config
        mountPath: /etc/reporter
        readOnly: true
      - name: data
        mountPath: /var/lib/reporter
volumes:
  - name: config
    configMap:
      name: {{ include "reporter.fullname" $ }}
  # The spool must outlive the pod when S3 is down: a PVC, not emptyDir.
  - name: data
    persistentVolumeClaim:
      claimName: {{ include "reporter.claimName" $ }}
{{- with $.Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $.Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $.Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}
