package awsfake

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
)

// apiError is an AWS error answer. Codes are the awsQuery (IAM, STS) ones;
// writeJSONError translates the few that differ in Organizations.
type apiError struct {
	status  int
	code    string
	message string
	// html answers a proxy's HTML error page with status instead.
	html bool
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

// Namespaces of the awsQuery services.
const (
	iamVersion = "2010-05-08"
	stsVersion = "2011-06-15"
	iamNS      = "https://iam.amazonaws.com/doc/2010-05-08/"
	stsNS      = "https://sts.amazonaws.com/doc/2011-06-15/"
)

// writeQueryResult writes an awsQuery answer:
// <ActionResponse><ActionResult>result</ActionResult><ResponseMetadata>…</ResponseMetadata></ActionResponse>.
func writeQueryResult(w http.ResponseWriter, ns, action, requestID string, result any) {
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	start := xml.StartElement{Name: xml.Name{Local: action + "Response"}, Attr: []xml.Attr{{Name: xml.Name{Local: "xmlns"}, Value: ns}}}
	meta := struct {
		RequestID string `xml:"RequestId"`
	}{requestID}
	err := enc.EncodeToken(start)
	if err == nil {
		err = enc.EncodeElement(result, xml.StartElement{Name: xml.Name{Local: action + "Result"}})
	}
	if err == nil {
		err = enc.EncodeElement(meta, xml.StartElement{Name: xml.Name{Local: "ResponseMetadata"}})
	}
	if err == nil {
		err = enc.EncodeToken(start.End())
	}
	if err == nil {
		err = enc.Flush()
	}
	if err != nil {
		http.Error(w, "awsfake: encode "+action+": "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("X-Amzn-Requestid", requestID)
	w.Write(buf.Bytes())
}

// queryErrorResponse is the awsQuery error envelope.
type queryErrorResponse struct {
	XMLName   xml.Name `xml:"ErrorResponse"`
	Xmlns     string   `xml:"xmlns,attr"`
	Type      string   `xml:"Error>Type"`
	Code      string   `xml:"Error>Code"`
	Message   string   `xml:"Error>Message"`
	RequestID string   `xml:"RequestId"`
}

// writeQueryError writes e in the awsQuery error envelope.
func writeQueryError(w http.ResponseWriter, ns, requestID string, e *apiError) {
	if e.html {
		writeHTMLError(w, e.status)
		return
	}
	typ := "Sender"
	if e.status >= 500 {
		typ = "Receiver"
	}
	out, _ := xml.Marshal(queryErrorResponse{Xmlns: ns, Type: typ, Code: e.code, Message: e.message, RequestID: requestID})
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("X-Amzn-Requestid", requestID)
	w.WriteHeader(e.status)
	w.Write(append([]byte(xml.Header), out...))
}

// jsonErrorCodes translates awsQuery codes into their Organizations names.
var jsonErrorCodes = map[string]string{
	"InvalidClientTokenId":       "UnrecognizedClientException",
	"SignatureDoesNotMatch":      "InvalidSignatureException",
	"MissingAuthenticationToken": "MissingAuthenticationTokenException",
	"IncompleteSignature":        "IncompleteSignatureException",
	"AccessDenied":               "AccessDeniedException",
	"Throttling":                 "TooManyRequestsException",
}

const jsonContentType = "application/x-amz-json-1.1"

// writeJSONResult writes an awsJson1_1 answer.
func writeJSONResult(w http.ResponseWriter, requestID string, result any) {
	out, err := json.Marshal(result)
	if err != nil {
		http.Error(w, "awsfake: encode: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", jsonContentType)
	w.Header().Set("X-Amzn-Requestid", requestID)
	w.Write(out)
}

// writeJSONError writes e as an awsJson1_1 error: {"__type": code, "Message": …}.
func writeJSONError(w http.ResponseWriter, requestID string, e *apiError) {
	if e.html {
		writeHTMLError(w, e.status)
		return
	}
	code := e.code
	if c, ok := jsonErrorCodes[code]; ok {
		code = c
	}
	status := e.status
	if status < 500 {
		status = http.StatusBadRequest
	}
	out, _ := json.Marshal(map[string]string{"__type": code, "Message": e.message})
	w.Header().Set("Content-Type", jsonContentType)
	w.Header().Set("X-Amzn-Requestid", requestID)
	w.WriteHeader(status)
	w.Write(out)
}

// writeHTMLError writes the HTML page a proxy or load balancer answers
// when the service behind it fails: no AWS envelope, no request ID.
func writeHTMLError(w http.ResponseWriter, status int) {
	text := fmt.Sprintf("%d %s", status, http.StatusText(status))
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<!DOCTYPE html>\n<html>\n<head><title>%s</title></head>\n<body>\n<h1>%s</h1>\n<p>The server behind this proxy did not answer.</p>\n</body>\n</html>\n", text, text)
}
