// Package sending holds the rules wabsp applies before and after it sends a
// WhatsApp message for a tenant: the shapes Meta accepts (text, template,
// media, interactive), the guards that refuse a send which would cost money
// or quality for nothing (consent, the customer service window, identity
// changes, the template's and the number's state, the portfolio messaging
// limit), and how Meta's send errors are classified into retry later,
// slow down, and never retry.
//
// The guards take plain facts (an optins eligibility answer, the quality
// state of the number and template, the portfolio's recent usage) and answer
// with every reason that applies, so a refused send can be explained in one
// response and costs nothing.
package sending
