package accounting

// XML bodies of the accounting dialect, as the service's XmlSerializer
// reads and writes them: the root element named after the type, in no
// namespace, declaring the xsd and xsi prefixes; members as child elements;
// lists as a wrapper element holding one element per item.

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Namespaces XmlSerializer declares on every root element.
const (
	xsdNamespace = "http://www.w3.org/2001/XMLSchema"
	xsiNamespace = "http://www.w3.org/2001/XMLSchema-instance"
)

// xmlBaseResponse is the BaseResponseModel in XML, where the base
// class's members come first: _links before StatusMessage.
type xmlBaseResponse struct {
	XMLName       xml.Name `xml:"BaseResponseModel"`
	XSD           string   `xml:"xmlns:xsd,attr"`
	XSI           string   `xml:"xmlns:xsi,attr"`
	Links         []link   `xml:"_links>Link"`
	StatusMessage string   `xml:"StatusMessage"`
}

func (b baseResponse) xmlValue() any {
	return xmlBaseResponse{XSD: xsdNamespace, XSI: xsiNamespace, Links: b.Links, StatusMessage: b.StatusMessage}
}

// xmlOptInResponse is the opt-in's answer in XML.
type xmlOptInResponse struct {
	XMLName        xml.Name `xml:"OptInTo2FAResponse"`
	XSD            string   `xml:"xmlns:xsd,attr"`
	XSI            string   `xml:"xmlns:xsi,attr"`
	ProviderUserID int32    `xml:"ProviderUserId"`
}

func (o optInResponse) xmlValue() any {
	return xmlOptInResponse{XSD: xsdNamespace, XSI: xsiNamespace, ProviderUserID: o.ProviderUserID}
}

// xmlError is ASP.NET's HttpError in XML.
type xmlError struct {
	XMLName xml.Name `xml:"Error"`
	Message string   `xml:"Message"`
}

// marshalXML encodes a response indented by two spaces, without
// an XML declaration, as the documentation shows it.
func marshalXML(v any) ([]byte, error) {
	b, err := xml.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode XML: %w", err)
	}
	return b, nil
}

// marshalXMLError encodes an error body on one line.
func marshalXMLError(message string) ([]byte, error) {
	b, err := xml.Marshal(xmlError{Message: message})
	if err != nil {
		return nil, fmt.Errorf("encode XML error: %w", err)
	}
	return b, nil
}

// xmlFields decodes an XML request body: root element typeName in
// no namespace, holding only the named child elements, each at most once
// and holding only text. Document type declarations (and with them entity
// definitions) are refused; undefined entities fail to decode. Element
// names are case-sensitive, as XmlSerializer's are.
func xmlFields(body []byte, typeName string, names []string) (map[string]bodyField, error) {
	malformed := badRequest("The request body is not valid XML.")
	unexpected := badRequest("The request body must be a " + typeName + " element holding only its documented fields.")
	dec := xml.NewDecoder(bytes.NewReader(body))
	dec.Strict = true
	fields := make(map[string]bodyField, len(names))
	var (
		depth   int
		current string
		text    strings.Builder
		started bool
		done    bool
	)
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, malformed
		}
		switch t := tok.(type) {
		case xml.Directive:
			return nil, badRequest("DTDs and entity declarations are not allowed in the request body.")
		case xml.ProcInst:
			// Only the XML declaration, first; its encoding was checked
			// by the decoder (UTF-8 only).
			if t.Target != "xml" || started {
				return nil, malformed
			}
		case xml.Comment:
		case xml.CharData:
			if depth == 2 {
				text.Write(t)
			} else if len(bytes.TrimSpace(t)) != 0 {
				return nil, unexpected
			}
		case xml.StartElement:
			if done || !onlyNamespaceAttrs(t.Attr) || t.Name.Space != "" {
				return nil, unexpected
			}
			depth++
			switch depth {
			case 1:
				if t.Name.Local != typeName {
					return nil, unexpected
				}
			case 2:
				current = ""
				for _, n := range names {
					if t.Name.Local == n {
						current = n
					}
				}
				if current == "" {
					return nil, badRequest("The request body has a field that is not part of the request.")
				}
				if _, dup := fields[current]; dup {
					return nil, badRequest("The " + current + " field must be given once.")
				}
				text.Reset()
			default:
				return nil, unexpected
			}
		case xml.EndElement:
			if depth == 2 {
				fields[current] = bodyField{kind: fieldText, text: text.String()}
			}
			depth--
			done = depth == 0
		}
		started = true
	}
	if !done {
		return nil, malformed
	}
	return fields, nil
}

// onlyNamespaceAttrs reports whether attrs only declare namespaces
// (xmlns, xmlns:xsd, ...).
func onlyNamespaceAttrs(attrs []xml.Attr) bool {
	for _, a := range attrs {
		if a.Name.Space != "xmlns" && !(a.Name.Space == "" && a.Name.Local == "xmlns") {
			return false
		}
	}
	return true
}
